#!/usr/bin/env python3
"""No circle between the files of the daemon and the simulator, read from the compiled objects.

A file is a source and its header of the same name in the same folder (engine.c and engine.h
are one); a header without a source of its name is a file of its own. An arrow runs from file A
to file B when an object of A
  - calls or reads a symbol that an object of B defines (nm: A's undefined symbols, B's defined
    ones; a name two objects define is no arrow: it is not known which one is meant), or
  - includes B's header, directly or through another header (A's dependency file, OBJECT.d).
The files that reach each other through arrows form a circle; every circle is printed with the
arrows that tie it (and, for a call, the names taken), and the lint fails. The objects are those
given (the daemon's and the simulator's: core/, lib/, adapters/, sim/).

Usage: lint-graph.py OBJECT...   (each OBJECT.d beside it; sources under the current folder)
"""
import os
import subprocess
import sys


def node_of(path):
    """The file a source or header belongs to: folder/name, paired when the source exists."""
    path = os.path.normpath(path)
    base, ext = os.path.splitext(path)
    if ext == '.h' and not os.path.exists(base + '.c') and not os.path.exists(base + '.gen.c'):
        return path
    if base.endswith('.gen'):
        base = base[:-4]
    return base


def symbols(obj, flag):
    out = subprocess.run(['nm', flag, obj], capture_output=True, text=True, check=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if not parts:
            continue
        kind, name = parts[-2], parts[-1]
        if flag == '-u' or kind in 'TDBRVWGS':
            names.add(name)
    return names


def source_of(obj):
    """The source an object was built from: the first prerequisite of its dependency file."""
    with open(os.path.splitext(obj)[0] + '.d') as f:
        text = f.read().replace('\\\n', ' ')
    rule = text.split('\n', 1)[0]
    deps = rule.split(':', 1)[1].split()
    return deps[0], [d for d in deps[1:] if d.endswith('.h')]


def main(objects):
    if not objects:
        print('lint-graph: usage: lint-graph.py OBJECT...', file=sys.stderr)
        return 2
    defined, wanted, includes = {}, {}, {}
    for obj in objects:
        src, headers = source_of(obj)
        node = node_of(src)
        for name in symbols(obj, '--defined-only'):
            defined.setdefault(name, set()).add(node)
        wanted.setdefault(node, set()).update(symbols(obj, '-u'))
        includes.setdefault(node, set()).update(node_of(h) for h in headers)
    arrows = {}  # (a, b) -> names taken, or None for an include alone
    for a, names in wanted.items():
        for name in names:
            owners = defined.get(name, set())
            if len(owners) == 1:
                b = next(iter(owners))
                if b != a:
                    arrows.setdefault((a, b), set()).add(name)
    for a, heads in includes.items():
        for b in heads:
            if b != a:
                arrows.setdefault((a, b), set())
    graph = {}
    for a, b in arrows:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    circles = strongly_connected(graph)
    for i, circle in enumerate(circles, 1):
        print(f'lint-graph: circle {i}: {", ".join(sorted(circle))}')
        for a in sorted(circle):
            for b in sorted(graph[a] & circle):
                names = arrows[(a, b)]
                how = 'calls ' + ', '.join(sorted(names)[:6]) if names else 'includes its header'
                print(f'lint-graph:   {a} -> {b}: {how}')
    files = len(graph)
    print(f'lint-graph: {len(objects)} objects, {files} files, {len(arrows)} arrows: '
          f'{len(circles)} circles')
    return 1 if circles else 0


def strongly_connected(graph):
    """Tarjan's components of more than one file, iteratively."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[v] = min(low[v], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.add(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(comp)
    return out


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
