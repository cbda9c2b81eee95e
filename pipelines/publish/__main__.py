"""`python -m pipelines.publish [status|rollback]`: what BI tools read (the live release
and the archived sets of past dates), and going back to the previous release when a
published set turns out to be wrong."""

import argparse
import json
import sys

from pipelines.core.settings import Settings
from pipelines.publish.release import ARCHIVE, PublishError, archived_releases, current_release, releases, rollback


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.publish", description=__doc__)
    parser.add_argument("command", choices=["status", "rollback"], nargs="?", default="status")
    args = parser.parse_args(argv)
    publish_dir = Settings.from_env().publish_dir
    try:
        if args.command == "rollback":
            live = rollback(publish_dir)
            print(f"Rolled back: BI tools now read release {live.release_id} (run {live.manifest['run_id']}).")
            return 0
    except PublishError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    live = current_release(publish_dir)
    if live is None:
        print(f"Nothing published in {publish_dir} yet.")
    else:
        print(f"Live release: {live.release_id} (as of {live.manifest['as_of_date']}, run {live.manifest['run_id']})")
        print(json.dumps({t: i["rows"] for t, i in live.manifest["tables"].items()}, indent=2))
        print("Releases kept:", ", ".join(p.name for p in releases(publish_dir)))
    archived = archived_releases(publish_dir)
    if archived:
        print(f"Archived past dates ({publish_dir / ARCHIVE}/<date>):")
        for as_of, release in archived.items():
            print(f"  {as_of}  release {release.release_id}, run {release.manifest['run_id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
