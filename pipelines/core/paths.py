"""Where the project's own files live, and the fixed parts of the layouts it writes."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

# The gates' Great Expectations Data Docs site, beside the published marts.
DATA_DOCS_FOLDER = "quality"


def data_docs_dir(publish_dir: Path) -> Path:
    return publish_dir / DATA_DOCS_FOLDER


# The dbt docs site (one static page with its catalog), beside the Data Docs.
DBT_DOCS_FOLDER = "models"


def dbt_docs_page(publish_dir: Path) -> Path:
    return publish_dir / DBT_DOCS_FOLDER / "index.html"
