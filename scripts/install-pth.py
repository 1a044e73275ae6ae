#!/usr/bin/env python3
"""Puts the build's Python package root on this interpreter's path with a
.pth file, so `import mlopt` works from any directory after `make`.
Idempotent and quiet when the file is already right."""
import pathlib
import site
import sys


def main():
    root = pathlib.Path(sys.argv[1]).resolve()
    line = str(root) + "\n"
    candidates = site.getsitepackages() + [site.getusersitepackages()]
    for directory in candidates:
        path = pathlib.Path(directory) / "mlopt-build.pth"
        try:
            if path.exists() and path.read_text() == line:
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(line)
            print(f"mlopt: {path} -> {root}")
            return
        except OSError:
            continue
    print("mlopt: no writable site-packages; use PYTHONPATH=" + str(root), file=sys.stderr)


if __name__ == "__main__":
    main()
