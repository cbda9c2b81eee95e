"""The dbt project on its own: every unit test of the business rules passes, and the
whole project builds on an empty warehouse (no landed data at all)."""

from __future__ import annotations

import json
import os
import subprocess

import duckdb

from pipelines.core.paths import DBT_PROJECT_DIR
from pipelines.core.resources import warehouse_resource
from pipelines.core.settings import Settings
from pipelines.ingest.loader import ensure_raw_schema
from pipelines.predict.estimate import Settings as FitSettings
from pipelines.predict.estimate import estimate
from pipelines.transform.docs import page_key, publish_page
from pipelines.transform.project import dbt_executable, hand_back_parse, prune_invocation_folders


def dbt(*args: str, settings: Settings, business_vars: dict | None = None) -> subprocess.CompletedProcess:
    # The connection as the pipeline passes it: vars of the command, not the environment.
    profile = json.dumps({**warehouse_resource(settings).dbt_profile_vars(), **(business_vars or {})})
    return subprocess.run(
        [dbt_executable(), *args, "--vars", profile, "--no-version-check"],
        cwd=DBT_PROJECT_DIR,
        env={k: v for k, v in os.environ.items() if not k.startswith("CCP_")},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_dbt_builds_on_empty_input_and_every_unit_test_passes(workdir):
    settings = Settings.from_env()
    with duckdb.connect(str(settings.warehouse)) as con:
        ensure_raw_schema(con)

    # Models first: a unit test of an incremental model reads the model's own columns.
    # The marts read the customer-base models' predictions, written in between as in a run.
    for selection in (["--exclude", "marts"], ["--select", "marts"]):
        result = dbt(
            "build",
            "--exclude-resource-type",
            "unit_test",
            "--indirect-selection",
            "buildable",
            *selection,
            settings=settings,
        )
        assert result.returncode == 0, result.stdout[-4000:]
        assert "ERROR=0" in result.stdout and "FAIL" not in result.stdout.split("Done.")[-1]
        if selection[0] == "--exclude":
            with duckdb.connect(str(settings.warehouse)) as con:
                outcome = estimate(con, FitSettings(min_repeat_customers=20, holdout_days=182))
            assert outcome.status == {"bg_nbd": "too_few_repeat_buyers", "gamma_gamma": "too_few_repeat_buyers"}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.customer_value").fetchone() == (0,)
        summary = con.execute(
            "SELECT customers, revenue_ranked_customers, tier_a_customers FROM marts.pareto_summary"
        ).fetchall()
        quadrants = con.execute("SELECT count(*), sum(customers) FROM marts.quadrant_summary").fetchone()
    assert summary == [(0, 0, 0)]
    assert quadrants == (6, 0)

    result = dbt("test", "--select", "test_type:unit", settings=settings)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "ERROR=0" in result.stdout and "FAIL=" not in result.stdout.split("Done.")[-1]
    unit_tests = [line for line in result.stdout.splitlines() if "unit_test" in line or "::" in line]
    assert sum(" PASS " in line for line in unit_tests) >= 15, "\n".join(unit_tests)


def test_the_history_and_order_facts_are_recomputed_whole_when_a_business_setting_changes(workdir):
    settings = Settings.from_env()
    with duckdb.connect(str(settings.warehouse)) as con:
        ensure_raw_schema(con)

    def recompute(select: str, business_vars: dict | None = None) -> tuple:
        """Why the history and why the order facts are recomputed as they are."""
        result = dbt("run", "--select", select, settings=settings, business_vars=business_vars)
        assert result.returncode == 0, result.stdout[-4000:]
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            (history,) = con.execute("SELECT reason FROM intermediate.int_history_recompute_from").fetchone()
            facts = con.execute("SELECT reason, carry_earlier FROM intermediate.int_order_facts_scope").fetchone()
            return history, *facts

    scopes = "int_history_recompute_from int_order_facts_scope"
    first = recompute("+built_history_inputs +built_order_facts")
    assert first == ("no earlier build", "no record of an earlier build", False)
    assert recompute("+built_order_facts") == ("no earlier build", "changed orders only", False)
    assert recompute(scopes) == ("nothing changed", "changed orders only", False)
    # The run before decided what to recompute and did not finish: the orders it set
    # out to recompute are handed on, as the history's month ends are.
    assert recompute("+built_order_facts") == ("nothing changed", "changed orders only", True)
    # as_of_date is not a setting of either: the facts it counts are compared.
    both = "int_history_recompute_from +built_order_facts"
    day = {"as_of_date": "2025-06-30"}
    assert recompute(both, day) == ("nothing changed", "changed orders only", False)

    # The first order lands after a build that saw no order at all: it is recomputed
    # (nothing was loaded before it), on the same as_of_date, so nothing else moves.
    with duckdb.connect(str(settings.warehouse)) as con:
        loaded = ("b1", "b1.csv", 1, "2025-07-01 08:00:00")
        con.execute(
            "INSERT INTO raw.orders (order_id, customer_id, ordered_at, channel, currency, status, "
            "_batch, _file, _row_number, _loaded_at) VALUES ('SO1', 'C1', '2025-06-29 10:00:00', 'online', "
            "'CNY', 'completed', ?, ?, ?, ?)",
            loaded,
        )
        con.execute(
            "INSERT INTO raw.order_lines (order_id, line_number, product_id, product_category, quantity, "
            "unit_price, discount_amount, unit_cost, _batch, _file, _row_number, _loaded_at) "
            "VALUES ('SO1', 1, 'P1', 'tools', 2, 10, 0, 4, ?, ?, ?, ?)",
            loaded,
        )
    assert recompute("+built_order_facts", day)[1:] == ("changed orders only", False)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("SELECT order_id FROM intermediate.int_orders__recomputed").fetchall() == [("SO1",)]
        valued = con.execute("SELECT order_id, net_revenue FROM intermediate.int_orders__valued").fetchall()
    assert valued == [("SO1", 20)]

    settings_changed = ("settings or models changed", "settings or models changed", False)
    assert recompute(scopes, {"value_window_days": 300}) == settings_changed
    assert recompute(scopes, {"reporting_currency": "USD"}) == settings_changed
    # A run that set out to recompute everything and did not finish.
    assert recompute(scopes) == ("unfinished earlier build", "unfinished earlier build", False)


def test_the_tests_of_the_kept_order_facts_read_the_recomputed_orders_only(workdir, small_release):
    """A run that recomputed some orders tests those orders' rows, and the customers'
    rows of their customers; a bad row among them fails its test, while the rows kept
    from earlier runs (tested when they were built) are not read again."""
    import shutil

    settings = Settings.from_env()
    shutil.copyfile(small_release / "warehouse.duckdb", settings.warehouse)
    with duckdb.connect(str(settings.warehouse)) as con:
        kept, recomputed = (
            con.execute(
                f"SELECT order_id, customer_id FROM intermediate.int_orders__valued ORDER BY order_id {o}"
            ).fetchone()
            for o in ("LIMIT 1", "DESC LIMIT 1")
        )
        # As a run that recomputed one order leaves it.
        con.execute(
            "UPDATE intermediate.int_order_facts_scope SET recompute_all = false, reason = 'changed orders only'"
        )
        con.execute("DELETE FROM intermediate.int_orders__recomputed")
        con.execute("INSERT INTO intermediate.int_orders__recomputed VALUES (?, NULL)", [recomputed[0]])
        # A kept row broken behind the tests' back: not read, since not recomputed.
        con.execute(
            "UPDATE intermediate.int_order_lines__valued SET returned_quantity = -1 WHERE order_id = ?", [kept[0]]
        )
        con.execute("UPDATE intermediate.int_customer_order_days SET orders = 0 WHERE customer_id = ?", [kept[1]])

    selection = ["--select", "int_order_lines__valued int_customer_order_days"]
    result = dbt("test", *selection, settings=settings)
    assert result.returncode == 0, result.stdout[-4000:]

    # The same break in the recomputed order's rows and its customer's days fails.
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(
            "UPDATE intermediate.int_order_lines__valued SET returned_quantity = -1 WHERE order_id = ?", [recomputed[0]]
        )
        con.execute("UPDATE intermediate.int_customer_order_days SET orders = 0 WHERE customer_id = ?", [recomputed[1]])
    result = dbt("test", *selection, settings=settings)
    assert result.returncode != 0
    failed = [line for line in result.stdout.splitlines() if " FAIL " in line]
    assert any("within_ranges_int_order_lines__valued" in line for line in failed), result.stdout[-4000:]
    assert any("within_ranges_int_customer_order_days" in line for line in failed), result.stdout[-4000:]


def test_every_business_setting_is_in_the_history_fingerprint():
    import re

    import yaml

    project_vars = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    macro = (DBT_PROJECT_DIR / "macros" / "history.sql").read_text()
    listed = re.search(r"macro history_setting_names\(\).*?\[(.*?)\]", macro, re.S).group(1)
    names = set(re.findall(r"'(\w+)'", listed))
    assert names == set(project_vars) - {"as_of_date"}


def test_earlier_dbt_target_folders_beyond_the_last_few_are_removed(tmp_path):
    target = tmp_path / "target"
    (target / "compiled").mkdir(parents=True)
    (target / "manifest.json").write_text("{}")
    folders = []
    for i in range(6):
        folder = target / f"dbt_staging-{i:07x}-abc{i:04x}"
        (folder / "run").mkdir(parents=True)
        os.utime(folder, (1_000_000 + i, 1_000_000 + i))
        folders.append(folder)
    other_step = target / "dbt_marts-0000001-0000001"
    other_step.mkdir()
    current = folders[2]  # the current invocation stays, whatever its age

    removed = prune_invocation_folders(current, keep=3)

    assert sorted(removed) == sorted([folders[0], folders[1], folders[3]])
    left = sorted(p.name for p in target.iterdir())
    assert left == sorted(
        ["compiled", "manifest.json", other_step.name, folders[2].name, folders[4].name, folders[5].name]
    )


def test_dbt_parses_into_its_own_target_folder_and_again_only_for_another_catalog(workdir, monkeypatch):
    """DBT_TARGET_PATH gives a process (a second checkout, a test worker) its own parse,
    as dagster-dbt puts each dbt command's folder there. Another warehouse file with the
    same name needs no `dbt parse` (the first dbt step of a run parses for it and hands
    the parse on); another file name is another DuckDB catalog in the manifest."""
    from pipelines.transform.project import dbt_project, target_dir

    own = workdir / "own_target"
    monkeypatch.setenv("DBT_TARGET_PATH", str(own))

    def prepared_for(warehouse):
        monkeypatch.setenv("CCP_WAREHOUSE", str(warehouse))
        monkeypatch.setenv("CCP_DUCKDB_TEMP_DIR", str(warehouse.parent / "duckdb_tmp"))
        project = dbt_project(warehouse_resource(Settings.from_env()).dbt_profile_vars())
        return project, project.manifest_path.stat().st_mtime_ns

    project, parsed = prepared_for(workdir / "a" / "warehouse.duckdb")
    assert target_dir() == own and project.manifest_path == own / "manifest.json"
    assert (own / "partial_parse.msgpack").exists()
    assert prepared_for(workdir / "b" / "warehouse.duckdb")[1] == parsed
    _, reparsed = prepared_for(workdir / "c" / "other.duckdb")
    assert reparsed != parsed
    assert '"database": "other"' in (own / "manifest.json").read_text()

    monkeypatch.setenv("DBT_TARGET_PATH", "elsewhere")
    assert target_dir() == DBT_PROJECT_DIR / "elsewhere"


def test_a_commands_new_parse_is_handed_back_for_the_next_command(tmp_path):
    project_target, step = tmp_path / "target", tmp_path / "target" / "dbt_staging-0000001-0000001"
    step.mkdir(parents=True)
    (project_target / "partial_parse.msgpack").write_bytes(b"parse for the default vars")

    # A command that parsed nothing new, or wrote no parse, leaves the kept one alone.
    assert not hand_back_parse(step, project_target)
    (step / "partial_parse.msgpack").write_bytes(b"parse for the default vars")
    assert not hand_back_parse(step, project_target)

    # One that parsed again (other vars) hands its parse on.
    (step / "partial_parse.msgpack").write_bytes(b"parse for as_of_date 2025-06-30")
    assert hand_back_parse(step, project_target)
    assert (project_target / "partial_parse.msgpack").read_bytes() == b"parse for as_of_date 2025-06-30"
    assert sorted(p.name for p in project_target.iterdir()) == ["dbt_staging-0000001-0000001", "partial_parse.msgpack"]


def _docs_manifest(path, description="Customer key.", parsed_at=1.0, invocation="a"):
    path.write_text(
        json.dumps(
            {
                "metadata": {"invocation_id": invocation, "generated_at": str(parsed_at)},
                "nodes": {
                    "model.p.customers": {
                        "description": "One row per customer.",
                        "created_at": parsed_at,
                        "columns": {
                            "customer_id": {"name": "customer_id", "description": description},
                            "created_at": {"name": "created_at", "description": "When the customer signed up."},
                        },
                    }
                },
            }
        )
    )
    return path


def test_the_docs_page_key_ignores_the_parse_and_follows_descriptions_and_the_schema(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.customers (customer_id VARCHAR, created_at DATE)")
    key = page_key(_docs_manifest(tmp_path / "m.json"), con)

    # A new parse or invocation of the same project: same page.
    assert page_key(_docs_manifest(tmp_path / "m.json", parsed_at=2.0, invocation="b"), con) == key
    # A changed description, in the manifest or as a comment in the warehouse: a new page.
    assert page_key(_docs_manifest(tmp_path / "m.json", description="The customer."), con) != key
    manifest = json.loads((tmp_path / "m.json").read_text())
    manifest["nodes"]["model.p.customers"]["columns"]["created_at"]["description"] = "Sign-up date."
    (tmp_path / "m.json").write_text(json.dumps(manifest))
    assert page_key(tmp_path / "m.json", con) != key
    _docs_manifest(tmp_path / "m.json")
    con.execute("COMMENT ON COLUMN marts.customers.customer_id IS 'Customer key.'")
    commented = page_key(tmp_path / "m.json", con)
    assert commented != key
    # A changed column type or a new table: a new page.
    con.execute("ALTER TABLE marts.customers ALTER created_at TYPE TIMESTAMP")
    assert page_key(tmp_path / "m.json", con) not in (key, commented)
    con.execute("CREATE TABLE marts.more (x INTEGER)")
    assert len({key, commented, page_key(tmp_path / "m.json", con)}) == 3


def test_the_docs_page_is_generated_only_when_its_key_changes(tmp_path):
    generated: list[str] = []

    def generate(text):
        def write():
            out = tmp_path / f"build{len(generated)}.html"
            out.write_text(text)
            generated.append(text)
            return out

        return write

    cache, page = tmp_path / "target" / "docs_page", tmp_path / "published" / "models" / "index.html"
    cache.mkdir(parents=True)
    assert publish_page("k1", cache, page, generate("first")) is False
    assert page.read_text() == "first"
    # A fresh publish folder, same project and warehouse: the kept page, no dbt.
    page.unlink()
    assert publish_page("k1", cache, page, generate("again")) is True
    assert page.read_text() == "first" and generated == ["first"]
    # A changed description (another key): generated anew, and kept for the next run.
    assert publish_page("k2", cache, page, generate("second")) is False
    assert page.read_text() == "second" and generated == ["first", "second"]
    assert publish_page("k2", cache, page, generate("third")) is True
    assert page.read_text() == "second"


def test_a_grouped_test_reports_each_column_and_names_the_one_that_failed(workdir):
    """not_null_columns, within_ranges and expressions_are_true check many columns or
    expressions in one dbt node; the model's check still lists each of them as a test
    and names the failing ones."""
    import dagster as dg

    from pipelines.core.outcomes import DBT_TESTS_CHECK
    from pipelines.transform.assets import WarehouseTranslator, _test_outcomes
    from pipelines.transform.project import dbt_project

    project = dbt_project(warehouse_resource(Settings.from_env()).dbt_profile_vars())
    manifest = json.loads(project.manifest_path.read_text())
    tests = {
        node["test_metadata"]["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and node.get("attached_node") == "model.core_customers.customer_value"
        and node["test_metadata"]["name"] in ("not_null_columns", "within_ranges", "expressions_are_true")
    }

    class Event:
        is_result_event = True

        def __init__(self, node, status, failures):
            self.raw_event = {
                "data": {
                    "node_info": {"unique_id": node["unique_id"], "node_status": status},
                    "num_failures": failures,
                },
                "info": {"msg": f"{status} {node['name']}"},
            }

    events = [
        Event(tests["not_null_columns"], "pass", 0),
        Event(tests["expressions_are_true"], "fail", 1),
        Event(tests["within_ranges"], "fail", 2),
    ]
    asked = []

    def failing_rows(unique_id):
        asked.append(unique_id)
        return {"r_score": 3, "p_alive": 1} if unique_id == tests["within_ranges"]["unique_id"] else {"2": 5}

    key = dg.AssetKey(["marts", "customer_value"])
    _, outcomes = _test_outcomes(
        events, manifest, WarehouseTranslator(), project, {dg.AssetCheckKey(key, DBT_TESTS_CHECK)}, failing_rows
    )

    # Only a failed test is read again.
    assert asked == [tests["expressions_are_true"]["unique_id"], tests["within_ranges"]["unique_id"]]
    outcome = outcomes[key]
    expressions = tests["expressions_are_true"]["test_metadata"]["kwargs"]["expressions"]
    second = f"expression_is_true_customer_value: {' '.join(expressions[1].split())}"
    assert sorted((f["test"], f["failing_rows"]) for f in outcome.failed) == sorted(
        [(second, 5), ("within_range_customer_value_p_alive", 1), ("within_range_customer_value_r_score", 3)]
    )
    assert "not_null_customer_value_customer_id" in outcome.passed
    assert "within_range_customer_value_f_score" in outcome.passed
    columns = len(tests["not_null_columns"]["test_metadata"]["kwargs"]["columns"])
    ranges = len(tests["within_ranges"]["test_metadata"]["kwargs"]["ranges"])
    assert len(outcome.passed) == columns + ranges + len(expressions) - 3
    result = outcome.result(key)
    assert not result.passed and "within_range_customer_value_r_score fail (3 rows)" in result.description

    # When the failing columns cannot be read, the test is reported as dbt reported it.
    _, outcomes = _test_outcomes(
        events[2:], manifest, WarehouseTranslator(), project, {dg.AssetCheckKey(key, DBT_TESTS_CHECK)}
    )
    assert [f["test"] for f in outcomes[key].failed] == [tests["within_ranges"]["name"]]


def test_every_unit_test_name_fits_a_postgresql_identifier():
    """dbt names a unit test's relation after the test: PostgreSQL refuses a name longer
    than 63 characters, so a longer one would fail only on the postgres engine."""
    import yaml

    too_long = [
        test["name"]
        for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.yml"))
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests") or []
        if len(test["name"]) > 63
    ]
    assert not too_long, too_long
