"""The ``World``: validated world tables held in memory, with derived arrays (distances) and look-ups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from simulator.scenario.taxonomy import Bloc
from simulator.world.geo import great_circle_km


@dataclass(frozen=True)
class World:
    """The world the model simulates, as loaded and validated from ``data/``.

    Every table is a ``pandas.DataFrame`` with the columns declared in ``simulator.world.tables``. ``economies`` is
    indexed by ``iso3`` in file order; that order is the economy axis of every array in the model.

    Attributes:
        economies: One row per economy or rest-of-region aggregate.
        world_totals: World totals the economies add up to (``measure`` → ``value``).
        blocs: One row per bloc, indexed by ``bloc``.
        memberships: One row per (economy, bloc).
        sectors: One row per sector, indexed by ``sector``.
        sector_data: One row per (sector, data category): exposure shares.
        input_output: One row per (buying sector, supplying sector): input coefficients (``input_matrix``).
        regimes: Baseline regimes: one row per (economy, data category, sector or ``*``).
        safeguards: One row per economy, indexed by ``iso3``.
        agreement_effects: What each bloc changes between its members in the status quo, indexed by ``bloc``.
        checksums: SHA-256 of every data file read, by file name (for run manifests).
        calibration: Fitted parameter values of this world (``data/calibration.yaml``, written by ``dlsim calibrate
            --fit``): the model's defaults for it, under any scenario's overrides; empty when the world has none.
    """

    economies: pd.DataFrame
    world_totals: pd.DataFrame
    blocs: pd.DataFrame
    memberships: pd.DataFrame
    sectors: pd.DataFrame
    sector_data: pd.DataFrame
    input_output: pd.DataFrame
    regimes: pd.DataFrame
    safeguards: pd.DataFrame
    agreement_effects: pd.DataFrame
    checksums: dict[str, str] = field(default_factory=dict)
    calibration: dict[str, float] = field(default_factory=dict)

    @property
    def iso3(self) -> list[str]:
        """Economy codes in the order of the model's economy axis."""
        return list(self.economies.index)

    @property
    def sector_codes(self) -> list[str]:
        """Sector codes in the order of the model's sector axis."""
        return list(self.sectors.index)

    @cached_property
    def distance_km(self) -> np.ndarray:
        """Great-circle distance between capitals (or representative places), km, shape (c, c)."""
        return great_circle_km(self.economies["lat"].to_numpy(), self.economies["lon"].to_numpy())

    @cached_property
    def input_matrix(self) -> np.ndarray:
        """Input coefficients a[s, s'] on the model's sector axis: share of sector s's inputs bought from sector s'.

        Shape (s, s); each row sums to 1 (``input_output.csv``; pairs without a row are 0).
        """
        codes = self.sector_codes
        pos = {c: i for i, c in enumerate(codes)}
        out = np.zeros((len(codes), len(codes)))
        io = self.input_output
        for buyer, supplier, a in zip(io["sector"], io["supplier"], io["coefficient"], strict=True):
            out[pos[buyer], pos[supplier]] = float(a)
        return out

    def index_of(self, iso3: str) -> int:
        """Return the position of economy ``iso3`` on the economy axis."""
        return self.iso3.index(iso3)

    def members(self, bloc: Bloc | str, statuses: Iterable[str] = ("member",), year: float | None = None) -> list[str]:
        """Return the economies of ``bloc`` with one of ``statuses``, in economy order.

        Args:
            bloc: Bloc code.
            statuses: Membership statuses to include (``member``, ``signatory``, ``applicant``).
            year: If given, only memberships whose ``since`` year is at most ``year`` (unknown years count).
        """
        m = self.memberships
        sel = (m["bloc"] == str(Bloc(bloc))) & m["status"].isin(list(statuses))
        if year is not None:
            sel &= m["since"].isna() | (m["since"] <= year)
        codes = set(m.loc[sel, "iso3"])
        return [c for c in self.iso3 if c in codes]

    def in_region(self, region: str) -> list[str]:
        """Return the economies of model region ``region``, in economy order."""
        return list(self.economies.index[self.economies["region"] == region])

    def in_income_group(self, group: str) -> list[str]:
        """Return the economies of income group ``group``, in economy order."""
        return list(self.economies.index[self.economies["income_group"] == group])

    def subset(self, iso3: Sequence[str]) -> World:
        """Return a smaller world with only the economies ``iso3`` (for tests and quick runs).

        The world totals are dropped (a subset does not add up to the world).
        """
        keep = [c for c in self.iso3 if c in set(iso3)]
        unknown = sorted(set(iso3) - set(keep))
        if unknown:
            raise KeyError(f"unknown economies: {', '.join(unknown)}")
        return World(
            economies=self.economies.loc[keep],
            world_totals=self.world_totals.iloc[0:0],
            blocs=self.blocs,
            memberships=self.memberships[self.memberships["iso3"].isin(keep)].reset_index(drop=True),
            sectors=self.sectors,
            sector_data=self.sector_data,
            input_output=self.input_output,
            regimes=self.regimes[self.regimes["iso3"].isin(keep)].reset_index(drop=True),
            safeguards=self.safeguards.loc[[c for c in keep if c in self.safeguards.index]],
            agreement_effects=self.agreement_effects,
            checksums=dict(self.checksums),
            calibration=dict(self.calibration),
        )
