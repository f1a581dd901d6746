#!/usr/bin/env bash
# p50/p95 of the message log's read queries (inbox page and count, a follower's timeline, the conversation
# list), 40 runs each through psql, on the database named $1, for the account with the most messages.
#   scripts/message-queries.sh sz_cb_big
db="postgres://postgres@127.0.0.1:5432/$1"
acct=$(psql "$db" -Atc "SELECT account_id FROM wx_messages GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
from=$(psql "$db" -Atc "SELECT from_user FROM wx_messages WHERE account_id = $acct ORDER BY received_at DESC LIMIT 1")
run() {
  local name=$1 q=$2
  { echo '\timing on'; for i in $(seq 1 40); do echo "$q"; done; } | psql "$db" -q -o /dev/null 2>&1 | sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p' | sort -n |
    awk -v n="$name" '{a[NR]=$1} END {printf "%s: p50 %.2f ms  p95 %.2f ms (%d runs)\n", n, a[int(NR*0.5)], a[int(NR*0.95)], NR}'
}
echo "rows: $(psql "$db" -Atc "SELECT count(*) FROM wx_messages")"
run "inbox page (newest 20)" "SELECT msg_id, from_user, msg_type, content, received_at, reply_xml FROM wx_messages WHERE account_id = $acct ORDER BY received_at DESC, id DESC LIMIT 20 OFFSET 0;"
run "inbox count" "SELECT count(*) FROM wx_messages WHERE account_id = $acct;"
run "follower timeline (20)" "SELECT id, msg_type, content, received_at FROM wx_messages WHERE account_id = $acct AND from_user = '$from' ORDER BY received_at DESC, id DESC LIMIT 20;"
run "conversation list (20)" "SELECT openid, last_at, last_text, unread FROM wx_conversations WHERE account_id = $acct ORDER BY last_at DESC, openid LIMIT 20;"
