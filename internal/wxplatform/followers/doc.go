// Package followers manages an official account's followers and groups (contract §7): the groups are
// WeChat's user tags (with the blacklist as group 1), remarks are WeChat's, and every follower is mirrored
// in Postgres by a resumable background sync, kept current between syncs by subscribe and unsubscribe
// events, and searched there by nickname, remark or openid.
//
// # Groups
//
// Group ids are WeChat's tag ids. 0 (未分组) is "no tag and not blacklisted": WeChat has no call for it, so
// its count and its users come from the mirror (an estimate before the first sync). 1 (黑名单) is the
// blacklist, with its own WeChat calls. 2 (星标组) is WeChat's star tag. The three are reserved: renaming
// or deleting them is 40300. Names are 1 to 30 bytes of UTF-8 (WeChat's 45158 counts bytes: 10 Chinese
// characters); a name in use, or a reserved group's name, is 40900. An unknown group id is 40400.
//
// A move puts followers in one group, as WeChat's groups did before tags: moving to 1 blacklists them
// (their tags stay, hidden behind the blacklist), moving anywhere else takes them off the blacklist, moving
// to 0 removes every tag, moving to a tag replaces their tags with it. openid may be one openid or a list
// of up to 500; WeChat's batch calls are made at its sizes (batchtagging and batchuntagging 50,
// batchblacklist 20, batchget 100). A follower's group, as getWhichGroup and the lists report it, is 1
// while blacklisted, else their first tag, else 0.
//
// # The mirror and its sync
//
// A sync reads the blacklist, then user/get page by page (10,000 openids), each page's profiles by
// user/info/batchget (100 at a time, SyncConcurrency calls at once), upserting them in one multi-row
// INSERT … ON CONFLICT per batch. The cursor (next_openid) is saved after each page. A sync is a River
// job (follower_sync, see internal/jobs): syncFollowers claims the account's wx_follower_syncs row and
// enqueues the job in the same transaction. One sync per account runs across every process: the claim
// holds a lease, renewed by a heartbeat while a job works it. A job run lasts at most RunBudget, then
// snoozes and the next run (in any process) goes on from the cursor; a stopping process's job saves its
// place and snoozes the same way, so a restart resumes it at once. When a process dies, its lease runs
// out and the periodic job follower_sync_resume claims the sync anew and enqueues its resumption; the dead
// job, should River rescue it later, finds its claim superseded and ends. A failed sync is resumed by the
// next syncFollowers. At the end, followers the sync did not see are marked unsubscribed, and the table is
// vacuumed and analysed.
//
// Between syncs the callback's subscribe, unsubscribe and SCAN events (Observer) keep the mirror current;
// an event older than the last one applied to a follower changes nothing.
//
// # Search
//
// getFollowers matches subscribed followers whose nickname, remark or openid contains q, in any case, newest
// subscribers first. A term of three characters or more is found through a pg_trgm GIN index on the
// lower-cased text. Trigrams cannot index shorter terms, so a term of one or two characters is looked up
// in an array of the characters and character pairs of the nickname and remark (GIN as well); it does not
// search openids, where a fragment that short means nothing. Measured on 100,000 followers: see
// BenchmarkSearch100k.
package followers
