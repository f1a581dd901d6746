// Package reply keeps the automatic replies of each official account (contract §6): keyword rules, the
// subscribe reply and the default reply; validates them; stores them in Postgres; and answers the WeChat
// callback from a compiled, in-memory matcher per account.
//
// # Matching
//
// A keyword rule has a match mode: exact (the default), contains or regex.
//
//   - exact: the message's text, trimmed of surrounding white space (Unicode's, including the ideographic
//     space), equals the keyword with Latin letters compared case-insensitively ("Hello" = "hello",
//     "ＡＢＣ" = "ａｂｃ"); other scripts compare as they are.
//   - contains: the keyword occurs anywhere in the text, with the same case rule.
//   - regex: an RE2 expression (Go's regexp syntax; linear time; at most 256 bytes) that finds a match in
//     the trimmed text. It is case-sensitive unless it says (?i). It is compiled when saved: an invalid one
//     is refused with 40000 naming request.
//
// An exact rule beats a contains rule beats a regex rule. Among contains rules the longest keyword (in
// characters) wins, then the oldest rule (lowest id); among regexes the oldest rule that matches. Disabled
// rules never match. A keyword is unique per account whatever its mode (compared trimmed, Latin letters in
// any case): a second one is 40900, so deleteReply {request} always names one rule.
//
// What answers what:
//
//   - a text message: the matching keyword rule, else the default reply;
//   - any other message (image, voice, video, location, link, …): the default reply;
//   - the subscribe event: the subscribe reply;
//   - a CLICK menu event: the exact keyword rule whose keyword is the button's key (compared as exact
//     keywords are; contains and regex rules do not answer clicks);
//   - unsubscribe and every other event: nothing.
//
// multitext is WeChat's news reply. WeChat shows one article in answer to a message and up to eight in
// answer to an event, so keyword and default replies hold one article and the subscribe reply up to eight.
//
// # Freshness across processes
//
// Each process compiles an account's rules on first use and swaps in a rebuilt matcher (atomic.Pointer)
// after a change; readers never wait for a rebuild, and once loaded, Match never waits on Postgres. Every
// change bumps reply_versions.version and sends NOTIFY reply_rules '<account_id>' in its transaction; each
// process listens on a dedicated connection (the change arrives in milliseconds), and also compares the
// versions of the accounts it holds every half second, so a change made anywhere answers everywhere within
// a second even when a notification is lost or the listener is reconnecting.
package reply
