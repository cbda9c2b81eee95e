"""The shared core every stage may import, and the only one: settings, paths, the
warehouse connection, the resources that carry settings to steps, the landing
layout and SQL quoting. Stages (ingest, transform, checks, publish) never import
each other."""
