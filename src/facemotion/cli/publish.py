"""The ``publish`` sub-command: upload a model folder to a Hugging Face Hub repository."""

from __future__ import annotations

import argparse
from typing import Any


def cmd_publish(args: argparse.Namespace) -> int:
    from facemotion.hub import push_to_hub

    url = push_to_hub(
        args.model_dir, args.repo_id, revision=args.revision, private=args.private, commit_message=args.message
    )
    print(f"published {args.model_dir} to {args.repo_id}: {url}")
    print(f"use it with --model {args.repo_id}" + (f" --revision {args.revision}" if args.revision else ""))
    return 0


def add_publish_command(sub: Any) -> None:
    p = sub.add_parser(
        "publish",
        help="upload a model folder (from `facemotion train`) to a Hugging Face Hub repository",
        description="Check a model folder loads, then upload its model files (config.json, model.keras, "
        "README.md, LiteRT exports) to a Hub repository, created if needed. Log in first with `hf auth login` "
        "(or set HF_TOKEN).",
    )
    p.add_argument("model_dir", help="the model folder, as written by `facemotion train --out`")
    p.add_argument("repo_id", help="the Hub repository, 'org/name'")
    p.add_argument("--revision", default=None, help="branch to upload to, made if needed (default: main)")
    p.add_argument("--private", action="store_true", help="create the repository as private")
    p.add_argument("--message", default="Upload facemotion model", help="commit message")
    p.set_defaults(func=cmd_publish)
