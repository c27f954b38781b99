"""Files that must survive a power loss once they are shown or named (a classifier model and its ACTIVE, an uploaded
file a committed row names): each file and its folder are synced to disk before the rename that shows them, and the
folder holding the new name after it. A rename or a new name alone is atomic for readers, not for the disk: without
the syncs the name can reach the disk before the contents, or the contents without the name."""
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
