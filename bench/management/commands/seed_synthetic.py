"""python manage.py seed_synthetic --trials N [--seed S] [--clear] | --calibrate"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench.synthetic import (
    CHICTR_ID,
    CTGOV_ID,
    INDEX_MODES,
    REBUILD_MIN_TRIALS,
    calibrate,
    clear_synthetic,
    seed_synthetic,
)


class Command(BaseCommand):
    help = (
        "Fill the database with realistic synthetic trials for benchmarks: ClinicalTrials.gov- and "
        f"ChiCTR-like trials with ids no registry has handed out ({CTGOV_ID.format(1)}…, {CHICTR_ID.format(1)}…) "
        "and source format 'synthetic'. Real trials are never touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--trials", type=int, default=0, help="how many synthetic trials to add")
        parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same trials)")
        parser.add_argument("--clear", action="store_true", help="delete the existing synthetic trials first")
        parser.add_argument("--batch-size", type=int, default=5000, help="trials per COPY batch")
        parser.add_argument("--no-vacuum", action="store_true", help="ANALYZE only, no VACUUM at the end")
        parser.add_argument(
            "--indexes",
            choices=INDEX_MODES,
            default="auto",
            help="rebuild: drop the trial table's secondary indexes for the load and rebuild them (locks the "
            "table meanwhile); keep: maintain them row by row; auto (default): rebuild when adding at least "
            f"{REBUILD_MIN_TRIALS:,} trials and at least as many as the table holds",
        )
        parser.add_argument(
            "--calibrate",
            action="store_true",
            help="print the distributions of the real trials in the database: the 'measured' section of "
            "bench/calibration.json",
        )

    def handle(self, *args, trials: int, seed: int, clear: bool, batch_size: int, no_vacuum: bool,
               indexes: str, calibrate: bool, **options) -> None:  # fmt: skip
        if calibrate:
            _calibrate(self.stdout)
            return
        if trials < 0 or batch_size < 1:
            raise CommandError("--trials must be ≥ 0 and --batch-size ≥ 1")
        if trials == 0:
            if not clear:
                raise CommandError("nothing to do: give --trials N (and/or --clear)")
            self.stdout.write(f"deleted {clear_synthetic()} synthetic trials")
            return
        verbose = options.get("verbosity", 1) >= 2
        result = seed_synthetic(
            trials,
            seed=seed,
            clear=clear,
            batch_size=batch_size,
            progress=(lambda m: self.stderr.write(m)) if verbose else None,
            vacuum=not no_vacuum,
            index_mode=indexes,
        )
        phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.phases.items())
        deleted = f"deleted {result.deleted}, " if clear else ""
        rebuilt = "; indexes rebuilt" if result.rebuilt_indexes else ""
        self.stdout.write(
            f"{deleted}created {result.created} synthetic trials (number {result.first_index}…: "
            f"{CTGOV_ID.format(result.first_index)}… / {CHICTR_ID.format(result.first_index)}…) "
            f"in {result.seconds:.1f} s, {result.trials_per_s:.0f} trials/s ({phases}{rebuilt})"
        )


def _calibrate(stdout) -> None:
    try:
        calibrate(stdout)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
