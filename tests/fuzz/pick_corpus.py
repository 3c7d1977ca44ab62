#!/usr/bin/env python3
"""pick_corpus.py CONTROL_FILE COUNTERS BUDGET CORPUS_DIR

Keep a committed fuzz corpus small (docs/testing.md, "Fuzzing").

CONTROL_FILE is the file libFuzzer writes with -merge=1
-merge_control_file=FILE over the committed CORPUS_DIR and scratch
directories; COUNTERS is the "inline 8-bit counters" count the fuzzer
prints when it starts.  Files already in CORPUS_DIR are kept.  Then,
greedily, the scratch file adding the most not-yet-covered edges per byte
is copied into CORPUS_DIR until every edge is covered, then the one adding
the most features, until CORPUS_DIR holds BUDGET files.  (A plain
-merge=1 keeps every file that adds a feature: often over a thousand.)
"""
import os
import shutil
import sys


def main():
    ctl, counters, budget, corpus = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    lines = open(ctl).read().split('\n')
    n = int(lines[0])
    files = lines[2:2 + n]
    feats = {}
    for line in lines[2 + n:]:
        if line.startswith('FT '):
            parts = line.split()
            feats[int(parts[1])] = set(map(int, parts[2:]))
    size = {i: os.path.getsize(files[i]) for i in feats}
    # A counter feature is 8 * counter index + hit-count bucket.
    edges = {i: {f >> 3 for f in s if f < 8 * counters} for i, s in feats.items()}
    corpus_abs = os.path.abspath(corpus) + os.sep
    chosen = [i for i in feats if os.path.abspath(files[i]).startswith(corpus_abs)]
    kept = len(chosen)

    def greedy(sets):
        covered = set().union(*(sets[i] for i in chosen))
        while len(chosen) < budget:
            best = max((i for i in sets if i not in chosen),
                       key=lambda i: (len(sets[i] - covered) / (1 + size[i] / 1024), -size[i]),
                       default=None)
            if best is None or not sets[best] - covered:
                break
            chosen.append(best)
            covered |= sets[best]
        return covered, set().union(*sets.values())

    ce, all_e = greedy(edges)
    cf, all_f = greedy(feats)
    for i in chosen[kept:]:
        shutil.copy(files[i], corpus)
    print(f'kept {kept}, added {len(chosen) - kept} files; '
          f'edges {len(ce)}/{len(all_e)}, features {len(cf)}/{len(all_f)}')


if __name__ == '__main__':
    main()
