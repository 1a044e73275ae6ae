"""docs/ops.md is the op reference generated from ODS: it must be current."""
from conftest import BUILD, REPO


def test_op_reference_matches_ods():
    generated = (BUILD / "docs" / "Dialects" / "MloptOps.md").read_text()
    committed = (REPO / "docs" / "ops.md").read_text()
    assert committed == generated, "docs/ops.md is stale: run `make docs`"


def test_every_op_is_documented():
    text = (REPO / "docs" / "ops.md").read_text()
    ops = [line for line in text.splitlines() if line.startswith("### `mlopt.")]
    assert len(ops) >= 60, len(ops)
