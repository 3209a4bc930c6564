#!/usr/bin/env python3
"""Counts the calls to the C allocator in a callgrind dump (profile.sh: mallocs per request).

Usage: mallocs.py CALLGRIND_OUT [REQUESTS]
Prints the total calls of malloc, calloc, realloc, posix_memalign, aligned_alloc and memalign (every caller,
libevent's, OpenSSL's and the Swift runtime's swift_slowAlloc alike), and per request when REQUESTS is given,
then the callers of those calls, most calls first.
"""
import re
import sys

ALLOCATORS = {"malloc", "calloc", "realloc", "posix_memalign", "aligned_alloc", "memalign"}


def count(path):
    names = {}  # "(id)" -> name, for callgrind's name compression
    current = None
    callee = None
    by_caller = {}
    name_re = re.compile(r"^\((\d+)\)(?: (.*))?$")

    def resolve(value):
        match = name_re.match(value.strip())
        if not match:
            return value.strip()
        ident, name = match.groups()
        if name is not None:
            names[ident] = name
            return name
        return names.get(ident, "(" + ident + ")")

    with open(path, errors="replace") as dump:
        for line in dump:
            if line.startswith("fn="):
                current = resolve(line[3:])
                callee = None
            elif line.startswith("cfn="):
                callee = resolve(line[4:])
            elif line.startswith("calls=") and callee is not None:
                calls = int(line[6:].split()[0])
                if callee in ALLOCATORS:
                    by_caller[current] = by_caller.get(current, 0) + calls
                callee = None
    return by_caller


def main():
    by_caller = count(sys.argv[1])
    total = sum(by_caller.values())
    if len(sys.argv) > 2:
        requests = int(sys.argv[2])
        print(f"{total} allocator calls in {requests} requests => {total / max(requests, 1):.3f} per request")
    else:
        print(f"{total} allocator calls")
    for caller, calls in sorted(by_caller.items(), key=lambda item: -item[1])[:15]:
        print(f"  {calls:>9}  {caller}")


if __name__ == "__main__":
    main()
