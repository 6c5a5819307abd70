"""Resources for the local (single-machine) environment: the DuckDB warehouse.

The warehouse path is read when a step runs, from ``CLAC_WAREHOUSE`` (default
``var/warehouse.duckdb``), so ``clac build`` can point a run at a working copy and swap
it into place only when the whole run succeeded.
"""


from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from sources import warehouse

#: Every asset that writes DuckDB runs in this pool; dagster.yaml limits it to one step.
WRITER_POOL = "duckdb_writer"


class WarehouseResource(dg.ConfigurableResource):
    """The observatory's DuckDB file. ``path`` empty means CLAC_WAREHOUSE or the default."""

    path: str = ""

    def db_path(self) -> Path:
        return Path(self.path).resolve() if self.path else warehouse.warehouse_path()

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.db_path(), read_only=read_only) as con:
            yield con


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"warehouse": WarehouseResource()})
