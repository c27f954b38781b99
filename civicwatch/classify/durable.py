"""Writing a model so that a power loss leaves it whole or absent: each file and its folder are synced to disk before
the rename that shows them, and the folder holding the new name after it. A rename alone is atomic for readers,
not for the disk: without the syncs the new name can reach the disk before the files' contents, and a model
directory of empty files (or an empty ACTIVE) is what the server finds when it starts again."""
from __future__ import annotations

import os
from pathlib import Path


def sync_file(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def sync_folder(path: Path) -> None:
    """Its entries (the names of files made, renamed or removed in it) reach the disk."""
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def sync_tree(folder: Path) -> None:
    """Every file and folder under `folder`, each folder after what it holds, `folder` last."""
    for directory, _, files in os.walk(folder, topdown=False):
        for name in files:
            sync_file(Path(directory) / name)
        sync_folder(Path(directory))
