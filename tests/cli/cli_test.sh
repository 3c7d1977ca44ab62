#!/bin/bash
# cli_test.sh GROVE — every verb of the grove CLI end to end on a scratch
# graph: exact output lines, exit statuses and error messages.  Prints one
# line per check that fails and exits 1 if any did.
set -u
G=${1:?usage: cli_test.sh path/to/grove}
T=$(mktemp -d "${TMPDIR:-/tmp}/grove-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# run NAME WANT_RC CMD...: run it, keep stdout+stderr in $T/out
run() {
	local name=$1 want=$2
	shift 2
	"$@" >"$T/out" 2>&1
	local rc=$?
	[ "$rc" = "$want" ] || fail "$name: exit $rc, expected $want: $(head -c 400 "$T/out")"
}
has() { grep -qF -- "$2" "$T/out" || fail "$1: no line with '$2' in: $(head -c 400 "$T/out")"; }
hasnt() { ! grep -qF -- "$2" "$T/out" || fail "$1: unexpected '$2' in: $(head -c 400 "$T/out")"; }
json() { python3 -c "import json,sys; d=json.load(open('$T/out')); print($1)"; }

cat >"$T/s.pg" <<'EOF'
node Person {
  name: String @key
  age: I32?
}
edge Knows: Person -> Person
EOF
cat >"$T/d.jsonl" <<'EOF'
{"type":"Person","data":{"name":"Ada","age":36}}
{"type":"Person","data":{"name":"Bob"}}
{"edge":"Knows","from":"Ada","to":"Bob"}
EOF
Q='query ages() { match { $p: Person } return { $p.name, $p.age } order { $p.name asc } }'

# init, load, query
run init 0 "$G" init --schema "$T/s.pg" "$T/g"
run init-again 1 "$G" init --schema "$T/s.pg" "$T/g"
run load 0 "$G" load "$T/g" --data "$T/d.jsonl" --mode overwrite
has load "loaded 2 nodes and 1 edges into main"
run query-csv 0 "$G" query "$T/g" -e "$Q" --format csv
has query-csv "Ada,36"
has query-csv "Bob,"
run query-json 0 "$G" query "$T/g" -e "$Q" --format json
[ "$(json "d['row_count'], d['columns']")" = "2 ['p.name', 'p.age']" ] || fail "query-json: $(cat "$T/out")"
printf '{"type":"Person","data":{"name":"Cy"}}\n{"type":"Person","data":{"name":"Ada"}}\n' >"$T/dup.jsonl"
run load-conflict 1 "$G" load "$T/g" --data "$T/dup.jsonl" --mode append
has load-conflict "node type 'Person' already has this id"
has load-conflict "line 2"
printf '{"type":"Person","data":{"name":"Dee","age":1}}\n{"type":"Nope","data":{}}\n' >"$T/bad.jsonl"
run load-bad-type 1 "$G" load "$T/g" --data "$T/bad.jsonl" --mode merge
has load-bad-type "record 2"
run query-unchanged 0 "$G" query "$T/g" -e "$Q" --format csv
hasnt query-unchanged "Cy"
hasnt query-unchanged "Dee"
run query-parse-error 1 "$G" query "$T/g" -e 'query q() { match { $p: Person } return { $p.name }'
has query-parse-error "grove: query: <query>:1:52: parse error"
printf 'query q() {\n  match {\n    $p: Person\n    $p.age > "x"\n  }\n  return { $p.name }\n}\n' >"$T/bad.gq"
run query-type-error 1 "$G" query "$T/g" --query "$T/bad.gq"
has query-type-error "bad.gq:4:5: type error: T7: cannot compare I32? with String"

# mutations, preconditions, actors
run head 0 "$G" commit list "$T/g" --json
HEAD=$(json "d['commits'][0]['graph_commit_id']")
run mutate 0 "$G" mutate "$T/g" -e 'query m() { update Person set { age: 37 } where name = "Ada" }' m --as alice --if-commit "$HEAD"
has mutate '"affected_nodes":1'
has mutate '"actor_id":"alice"'
run mutate-stale 4 "$G" mutate "$T/g" -e 'query m() { update Person set { age: 38 } where name = "Ada" }' m --if-commit "$HEAD"
has mutate-stale "precondition failed"
run mutate-key 1 "$G" mutate "$T/g" -e 'query m() { update Person set { name: "Z" } where name = "Ada" }' m

# branches, merge, time travel
run branch-create 0 "$G" branch create "$T/g" feat
has branch-create "created branch feat from main"
run branch-dup 1 "$G" branch create "$T/g" feat
run load-branch 0 "$G" load "$T/g" --data "$T/dup.jsonl" --mode merge --branch feat
run branch-list 0 "$G" branch list "$T/g"
[ "$(tr '\n' ' ' <"$T/out")" = "feat main " ] || fail "branch-list: $(cat "$T/out")"
run query-branch 0 "$G" query "$T/g" -e "$Q" --format csv --branch feat
has query-branch "Cy,"
run diff 0 "$G" diff "$T/g" --from main --to feat
has diff "Insert node:Person Cy"
run merge 0 "$G" branch merge "$T/g" feat --into main
has merge "merged feat into main: fast_forward"
run query-old 0 "$G" query "$T/g" -e "$Q" --format csv --snapshot "$HEAD"
has query-old "Ada,36"
hasnt query-old "Cy"
run branch-delete 0 "$G" branch delete "$T/g" feat

# commits and changes
run commit-list 0 "$G" commit list "$T/g" --json
N=$(json "len(d['commits'])")
[ "$N" = 4 ] || fail "commit-list: $N commits, expected 4 (genesis, load, mutate, the merge; the branch's load is its merged parent)"
run commit-show 0 "$G" commit show "$T/g" "$HEAD" --json
has commit-show "$HEAD"
run commit-changes 0 "$G" commit changes "$T/g" "$HEAD"
has commit-changes "insert node:Person Ada"
has commit-changes "insert edge:Knows"
run commit-changes-paged 0 "$G" commit changes "$T/g" "$HEAD" --page-size 1 --json
has commit-changes-paged '"next_page_token":"'
run poll 0 "$G" changes poll "$T/g" --from beginning --max-commits 1
has poll "insert node:Person Bob"
has poll "caught_up false"
CURSOR=$(sed -n 's/^cursor \([^ ]*\) caught_up.*/\1/p' "$T/out")
run poll-next 0 "$G" changes poll "$T/g" --from "$CURSOR"
has poll-next "update node:Person Ada"
has poll-next "caught_up true"
run poll-bad 1 "$G" changes poll "$T/g" --from garbage
has poll-bad "change cursor rejected"

# the feed's baseline: the export at the head, then the cursor after it
run baseline 0 "$G" changes baseline "$T/g" --out "$T/base.jsonl"
has baseline "snapshot: $T/base.jsonl"
BHEAD=$("$G" commit list "$T/g" | head -1 | cut -d' ' -f1)
[ ${#BHEAD} = 26 ] || fail "baseline: no head commit id in commit list"
has baseline "snapshot_commit_id: $BHEAD"
"$G" export "$T/g" | cmp -s - "$T/base.jsonl" || fail "baseline: the snapshot is not the export"
BCURSOR=$(sed -n 's/^resume_cursor: //p' "$T/out")
run baseline-poll 0 "$G" changes poll "$T/g" --from "$BCURSOR"
has baseline-poll "caught_up true"
hasnt baseline-poll "insert"
run baseline-json 0 "$G" changes baseline "$T/g" --kind edge --out "$T/base-e.jsonl" --json
[ "$(json "sorted(d)")" = "['resume_cursor', 'snapshot_commit_id']" ] || fail "baseline-json: $(cat "$T/out")"
grep -q '"type":' "$T/base-e.jsonl" && fail "baseline --kind edge wrote nodes"
echo old >"$T/base-keep.jsonl"
run baseline-bad 1 "$G" changes baseline "$T/g" --type Nope --out "$T/base-keep.jsonl"
has baseline-bad "unknown export type 'Nope'"
[ "$(cat "$T/base-keep.jsonl")" = old ] || fail "baseline-bad: a failed capture replaced --out"
run baseline-usage 2 "$G" changes baseline "$T/g"

# Date/DateTime cells print bare in table and csv, as String cells do
printf 'node D { k: String @key\n on: Date?\n at: DateTime? }\n' >"$T/d.pg"
echo '{"type":"D","data":{"k":"x","on":"2024-01-02","at":"2024-01-02T10:00:00Z"}}' >"$T/dd.jsonl"
run dates-init 0 "$G" init --schema "$T/d.pg" "$T/gd"
run dates-load 0 "$G" load "$T/gd" --data "$T/dd.jsonl" --mode overwrite
run dates-csv 0 "$G" query "$T/gd" -e 'query q() { match { $d: D } return { $d.k, $d.on, $d.at } }' q --format csv
has dates-csv "x,2024-01-02,2024-01-02T10:00:00.000Z"
run dates-table 0 "$G" query "$T/gd" -e 'query q() { match { $d: D } return { $d.on } }' q
has dates-table "2024-01-02"
hasnt dates-table '"2024-01-02"'
# a number past every float as a Vector or F32 parameter: refused, no abort
printf 'node V { k: String @key\n v: Vector(2)?\n f: F32? }\n' >"$T/v.pg"
run vec-init 0 "$G" init --schema "$T/v.pg" "$T/gv"
BIG=1$(printf '0%.0s' $(seq 1 400))
run vec-huge 1 "$G" mutate "$T/gv" -e 'query q($v: Vector(2)) { insert V { k: "a", v: $v } }' q --params "{\"v\": [1, $BIG]}"
has vec-huge "exceeds Float32 range"
run f32-huge 1 "$G" mutate "$T/gv" -e 'query q($f: F32) { insert V { k: "a", f: $f } }' q --params "{\"f\": $BIG}"
has f32-huge "exceeds Float32 range"
# output nobody reads: exit 1 saying so, not a silent SIGPIPE death
"$G" version >/dev/full 2>"$T/out"
[ $? = 1 ] || fail "version >/dev/full: not exit 1"
has version-full "cannot write the output"
# export round trip, rebuild, verify, log
run export 0 "$G" export "$T/g" --out "$T/x.jsonl"
run init2 0 "$G" init --schema "$T/s.pg" "$T/g2"
run load2 0 "$G" load "$T/g2" --data "$T/x.jsonl" --mode overwrite
run export2 0 "$G" export "$T/g2" --out "$T/x2.jsonl"
cmp -s "$T/x.jsonl" "$T/x2.jsonl" || fail "export round trip: $(diff "$T/x.jsonl" "$T/x2.jsonl" | head -5)"
run rebuild 0 "$G" rebuild "$T/g"
run verify 0 "$G" verify "$T/g"
has verify "the views equal a fresh replay of the log"
run log-dump 0 "$G" log dump "$T/g" --json
has log-dump '"kind":"merge"'
run log-append-bad 1 "$G" log append "$T/g" '{"kind":"load_chunk","chunk":1,"last":true}'

# schema: check, plan, apply, show; lint
run schema-check 0 "$G" schema check "$T/s.pg"
has schema-check "1 node types, 1 edge types"
printf 'node Person {\n  name: String @key\n  age: I32?\n  email: String?\n}\nedge Knows: Person -> Person\n' >"$T/s2.pg"
run schema-plan 0 "$G" schema plan "$T/g" --schema "$T/s2.pg" --json
has schema-plan '"supported":true'
run schema-apply 0 "$G" schema apply "$T/g" --schema "$T/s2.pg" --json
has schema-apply '"applied":true'
run schema-show 0 "$G" schema show "$T/g"
has schema-show "email: String?"
printf 'node Person {\n  name: String @key\n  age: I32\n}\n' >"$T/s3.pg"
run schema-unsupported 1 "$G" schema apply "$T/g" --schema "$T/s3.pg"
printf 'node Person { name: String @key\n  age: I32?\n' >"$T/bad.pg"
run schema-check-bad 1 "$G" schema check "$T/bad.pg"
has schema-check-bad "bad.pg:3:"
run init-bad 1 "$G" init --schema "$T/bad.pg" "$T/never"
has init-bad "grove: init: $T/bad.pg: parse error:"
[ ! -e "$T/never/GROVE" ] || fail "init-bad: a graph was created"
printf 'query q() { match { $p: Person } return { $p.nope } }\n' >"$T/q.gq"
run lint 1 "$G" lint --schema "$T/s.pg" --query "$T/q.gq"
has lint "q.gq:1:"

# OmniGraph's spellings and answers (engine §9): --uri, read/change,
# schema get, version, the DTO JSON of branch, merge and load
run version 0 "$G" version
has version "grove 0.1.0 (on-disk format 1)"
run uri-create 0 "$G" branch create --uri "$T/g" --from " main " " side " --json
[ "$(json "d")" = "{'uri': '$T/g', 'from': 'main', 'name': 'side', 'actor_id': None}" ] || fail "uri-create: $(cat "$T/out")"
run uri-read 0 "$G" read --uri "$T/g" -e "$Q" --format csv --branch side
has uri-read "Cy,"
run uri-change 0 "$G" change --uri "$T/g" -e 'query m() { update Person set { age: 7 } where name = "Bob" }' m --branch side
run schema-get 0 "$G" schema get --uri "$T/g"
has schema-get "email: String?"
run merge-delete 0 "$G" branch merge --uri "$T/g" side --delete-branch --as ann
has merge-delete "merged side into main: fast_forward"
has merge-delete "deleted branch side"
run branch-c2 0 "$G" branch create "$T/g" c2
run branch-d2 0 "$G" branch delete "$T/g" c2 --as ann --json
[ "$(json "d")" = "{'uri': '$T/g', 'name': 'c2', 'actor_id': 'ann'}" ] || fail "branch-delete-json: $(cat "$T/out")"
run load-json 0 "$G" load --uri "$T/g" --data "$T/dup.jsonl" --mode merge --json
[ "$(json "d['uri'] == '$T/g', d['commit']['graph_branch'], d['total_entities']")" = "True None 2" ] || fail "load-json: $(cat "$T/out")"
run branch-c3 0 "$G" branch create "$T/g" c3
run change-c3 0 "$G" mutate "$T/g" -e 'query m() { update Person set { age: 1 } where name = "Cy" }' m --branch c3
run change-main 0 "$G" mutate "$T/g" -e 'query m() { update Person set { age: 2 } where name = "Cy" }' m
run merge-conflict 1 "$G" branch merge "$T/g" c3
has merge-conflict "divergent_update node:Person 'Cy': divergent update for id 'Cy'"
hasnt merge-conflict '"merge_conflicts"'
run merge-conflict-json 1 "$G" branch merge "$T/g" c3 --json
has merge-conflict-json '"merge_conflicts":[{'
run optimize 0 "$G" optimize "$T/g"
has optimize "optimized $T/g: commit "
run optimize-again 0 "$G" optimize "$T/g" --json
[ "$(json "d['committed'], d['commit']")" = "False None" ] || fail "optimize-again: $(cat "$T/out")"
run uri-joined 0 "$G" branch list --uri="$T/g"
has uri-joined "main"
run uri-missing 2 "$G" branch list --uri
has uri-missing "grove: --uri needs a graph directory, after the sub-verb"
run uri-flag 2 "$G" commit list --store --json
run uri-early 2 "$G" branch --uri "$T/g" list
run append-optimize-branch 1 "$G" log append "$T/g" '{"kind":"optimize","branch":"c3","op":"optimize"}'
has append-optimize-branch "an optimize event is main's, without effects or actor"
LONG=$(printf 'a%.0s' $(seq 300))
run append-long-actor 1 "$G" log append "$T/g" "{\"kind\":\"optimize\",\"branch\":\"main\",\"actor\":\"$LONG\"}"
has append-long-actor "actor id is longer than 255 bytes (300)"
run branch-long 1 "$G" branch create "$T/g" "$LONG"
has branch-long "branch name is longer than"
run branch-internal 1 "$G" branch create "$T/g" __schema_apply_lock__
has branch-internal "branch_create does not allow internal system ref '__schema_apply_lock__'"
run poll-start 0 "$G" changes poll --uri "$T/g" --start beginning --limit 1 --max-commits 1 --json
[ "$(json "len(d['blocks'][0]['changes']), 'next_page_token' in d")" = "1 True" ] || fail "poll-start: $(cat "$T/out")"

# a process that may not map 1 TiB (ulimit -v) gets smaller views maps
# (not under AddressSanitizer, which needs the address space itself)
if ! ldd "$G" | grep -q libasan; then
	run small-vm 0 bash -c "ulimit -v 100000000 && '$G' init --schema '$T/s.pg' '$T/vm' &&
		'$G' load '$T/vm' --data '$T/d.jsonl' --mode overwrite && '$G' verify '$T/vm'"
	has small-vm "the views equal a fresh replay of the log"
fi

# usage
run usage 2 "$G"
run unknown 2 "$G" frobnicate
run load-usage 2 "$G" load "$T/g"
run poll-usage 2 "$G" changes poll "$T/g" --kind node --bogus
run poll-count 2 "$G" changes poll "$T/g" --page-size 99999999999
run changes-count 2 "$G" commit changes "$T/g" "$HEAD" --type Person --page-size abc
run diff-usage 2 "$G" diff "$T/g" --op insert --bogus
run poll-zero 2 "$G" changes poll "$T/g" --page-size 0
has poll-zero "--page-size takes a count from 1 to 8192, not '0'"
run poll-commits-over 2 "$G" changes poll "$T/g" --max-commits 513
run plan-branch 2 "$G" schema plan "$T/g" --schema "$T/s.pg" --branch x
run plan-as 2 "$G" schema plan "$T/g" --schema "$T/s.pg" --as me
run uri-twice 2 "$G" query "$T/g" --uri "$T/g" -e 'query q() { match { $p: Person } return { $p.name } }'
has uri-twice "a graph directory given twice"

# damaged NAME PEOPLE...: a graph with one merge load per person (records
# 2, 3, ... after the schema's), then one byte of the second load flipped
damaged() {
	local g="$T/$1" n
	shift
	run "$(basename "$g")-init" 0 "$G" init --schema "$T/s.pg" "$g"
	for n in "$@"; do
		printf '{"type":"Person","data":{"name":"%s"}}\n' "$n" >"$T/one.jsonl"
		run "$(basename "$g")-load-$n" 0 "$G" load "$g" --data "$T/one.jsonl" --mode merge
	done
	python3 - "$g/log/00000000000000000001.seg" <<'PY2'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
at = b.find(b'load merge', b.find(b'load merge') + 1)   # the second load (record 3)
b[at] ^= 0x20
open(p, 'wb').write(b)
PY2
}

# a damaged record that a later one proves acknowledged: open refuses and
# says where (the message must survive the failed open freeing its handle)
damaged dmg a b c
run dmg-open 1 "$G" export "$T/dmg"
has dmg-open "log segment 00000000000000000001.seg, offset"
has dmg-open "record 3 is damaged, but record 4 at offset"
run dmg-verify 1 "$G" verify "$T/dmg"
has dmg-verify "record 3 is damaged"
# the last record, which no later one vouches for: the clean close does
damaged dmg2 a b
run dmg2-open 1 "$G" export "$T/dmg2"
has dmg2-open "record 3 is damaged, but the graph was closed cleanly after record 3 was on disk"
rm "$T/dmg2/views/SESSION"
run dmg2-accept 0 "$G" export "$T/dmg2"
has dmg2-accept '"name":"a"'
hasnt dmg2-accept '"name":"b"'

# export --out: a failed export leaves an existing FILE as it was
echo keep >"$T/keep.jsonl"
run export-out-fail 1 "$G" export "$T/nograph" --out "$T/keep.jsonl"
[ "$(cat "$T/keep.jsonl")" = keep ] || fail "export-out-fail: FILE was changed: $(head -c 200 "$T/keep.jsonl")"
run export-out 0 "$G" export "$T/g" --out "$T/keep.jsonl"
grep -q '"type":"Person"' "$T/keep.jsonl" || fail "export-out: $(head -c 200 "$T/keep.jsonl")"
# an output that cannot be written is a failure, not a success
if [ -w /dev/full ]; then
	"$G" export "$T/g" >/dev/full 2>"$T/out"
	rc=$?
	[ "$rc" = 1 ] || fail "export to /dev/full: exit $rc"
	has export-full-msg "cannot write the output"
fi
# an option where DIR belongs is a usage error, not a directory name
for v in "demo --help" "verify --json" "rebuild --json" "optimize --help" "log dump --json" \
	 "commit list --json" "branch list --json"; do
	run "dir-option-$v" 2 "$G" $v
done
[ ! -e "./--help" ] && [ ! -e "./--json" ] || fail "an option was taken for a directory"
# a blank --branch is refused for reads and writes alike (OmniGraph's
# normalize_branch_name), never LMDB's words
for b in '' '  '; do
	run "read-blank-branch-$b" 1 "$G" export "$T/g" --branch "$b"
	has "read-blank-branch-$b" "branch name cannot be empty"
	hasnt "read-blank-branch-$b" "MDB_"
	run "write-blank-branch-$b" 1 "$G" mutate "$T/g" -e 'query q() { insert Person { name: "Blank" } }' q --branch "$b"
	has "write-blank-branch-$b" "branch name cannot be empty"
	run "from-blank-branch-$b" 1 "$G" branch create "$T/g" blankfrom --from "$b"
	has "from-blank-branch-$b" "branch name cannot be empty"
done
# log dump --from takes an LSN, digits only
for v in abc -1 ''; do
	run "log-from-$v" 2 "$G" log dump "$T/g" --from "$v"
done
# load's answer names the branch trimmed
run branch-spaced 0 "$G" branch create "$T/g" spaced
run load-spaced 0 "$G" load "$T/g" --data "$T/d.jsonl" --mode merge --branch '  spaced '
has load-spaced "into spaced (commit"
# mutate (and its alias change) take --json, as the other verbs
run mutate-json 0 "$G" mutate "$T/g" -e 'query m() { insert Person { name: "Jo" } }' m --json
[ "$(json "d['affected_nodes']")" = "1" ] || fail "mutate-json: $(cat "$T/out")"
run change-json 0 "$G" change "$T/g" -e 'query m() { insert Person { name: "Jy" } }' m --json
# a change filter that names no kind or op is a usage error, naming it
run diff-bad-kind 2 "$G" diff "$T/g" --from main --to main --kind nodes
has diff-bad-kind "grove: --kind takes node or edge, not 'nodes'"
run changes-bad-op 2 "$G" commit changes "$T/g" x --op upsert
has changes-bad-op "grove: --op takes insert, update or delete, not 'upsert'"
run diff-op-case 0 "$G" diff "$T/g" --from main --to main --op Insert --kind EDGE
# a schema parse error names the file
printf 'node Person {\n  name String @key\n}\n' >"$T/bad.pg"
run plan-parse 1 "$G" schema plan "$T/g" --schema "$T/bad.pg"
has plan-parse "grove: schema plan: $T/bad.pg: parse error"
run apply-parse 1 "$G" schema apply "$T/g" --schema "$T/bad.pg"
has apply-parse "grove: schema apply: $T/bad.pg: parse error"
# the usage names every branch verb
run usage 2 "$G"
has usage "grove branch create|delete|list|merge DIR"
# a directory name that is not UTF-8 still gives JSON (U+FFFD for the bad byte)
B="$T/bad$(printf '\377')dir"
run init-bad-utf8 0 "$G" init --schema "$T/s.pg" "$B"
run branch-json-bad-utf8 0 "$G" branch create "$B" b1 --json
[ "$(json "d['uri'].endswith('bad\\ufffddir')")" = "True" ] || fail "branch-json-bad-utf8: $(cat "$T/out")"
# search and ranking
run search 0 "$G" query "$T/g" -e 'query s() { match { $p: Person search($p.name, "ADA") } return { $p.name } }' --format csv
has search "Ada"
hasnt search "Bob"

# the demo
run demo 0 "$G" demo "$T/demo"
has demo "verify: the views equal a fresh replay of the log"

if [ "$fails" = 0 ]; then
	echo "cli: every check passed"
	exit 0
fi
echo "cli: $fails checks failed"
exit 1
