"""A drizzle-kit migrations folder with a long history, for benchmarks: each migration creates
a table with a foreign key to an earlier one, indexes it, and alters a table made before.

    python3 bench/drizzle_set.py FOLDER COUNT     (writes COUNT migrations and meta/_journal.json)
    python3 bench/drizzle_set.py FOLDER --append  (adds one migration to the folder's journal)
"""

import json
import os
import sys

BREAK = "\n--> statement-breakpoint\n"


def migration(i):
    statements = [
        f'CREATE TABLE "app_t{i}" ("id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY, '
        f'"name" text NOT NULL, "parent_id" bigint, "created_at" timestamp with time zone '
        f"DEFAULT now() NOT NULL)",
    ]
    if i > 0:
        statements.append(
            f'ALTER TABLE "app_t{i}" ADD CONSTRAINT "app_t{i}_parent_id_fk" FOREIGN KEY '
            f'("parent_id") REFERENCES "app_t{i - 1}"("id")')
        statements.append(f'CREATE INDEX "app_t{i}_parent_idx" ON "app_t{i}" ("parent_id")')
    if i > 10:
        statements.append(f'ALTER TABLE "app_t{i - 10}" ADD COLUMN "note_{i}" text')
    return BREAK.join(statements) + ";\n"


def write(folder, index, journal):
    tag = f"{index:04d}_step_{index}"
    with open(os.path.join(folder, f"{tag}.sql"), "w") as out:
        out.write(migration(index))
    journal["entries"].append({"idx": index, "version": "7", "when": 1700000000000 + index,
                               "tag": tag, "breakpoints": True})


def main(argv):
    folder = argv[0]
    journal_path = os.path.join(folder, "meta", "_journal.json")
    if argv[1] == "--append":
        with open(journal_path) as f:
            journal = json.load(f)
        write(folder, len(journal["entries"]), journal)
    else:
        os.makedirs(os.path.join(folder, "meta"), exist_ok=True)
        journal = {"version": "7", "dialect": "postgresql", "entries": []}
        for index in range(int(argv[1])):
            write(folder, index, journal)
    with open(journal_path, "w") as out:
        json.dump(journal, out, indent=2)


if __name__ == "__main__":
    main(sys.argv[1:])
