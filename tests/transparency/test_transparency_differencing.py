"""Differencing: no combination of public statistics requests gives a hidden count away.

An attacker with only the public JSON export asks for every filter the statistics page offers: every range of
months within the data, each with every body, subject and region (and "all"). From the exact figures published
they work out everything simple arithmetic allows, until nothing new comes out:
- two ranges of months: a range less a range it contains, ranges end to end, and so on (any range whose ends
  are linked by published ranges; a weighted union-find over the months' running totals finds them all);
- a total less its shown parts, across bodies, subjects or regions (with the groups a page leaves out, which
  have none), and across the counts of a group (open + closed = received ...).
No count so worked out may be a true count from 1 to threshold - 1; and a figure for the same cases must read
the same whatever filter it was published under.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import random
from collections import Counter, defaultdict

import numpy
import pytest

from civicwatch.cases.models import Case, CaseStatus, Outcome, Recommendation, RemedyStatus
from civicwatch.extensions import db
from civicwatch.transparency.report import DETAIL_LINES, STATUS_LINES

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
THRESHOLD = 5
MONTHS = ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05")
ANY, NONE = "*", "none"
BODIES = ("police_oversight", "anti_corruption_commission", "human_rights_commission")
THEMES = ("misconduct", "corruption", "abuse_of_force")
REGIONS = ("eastern", "northern")
SECTIONS = {"bodies": 2, "themes": 3, "regions": 4}  # the position in a population each section varies
S = CaseStatus
Population = tuple[int, int, str, str, str]  # (first month, last month: indexes in MONTHS), body, theme, region


# ---------------------------------------------------------------- the data

# Per month: (body, theme, cases). Few complaints in January, few ever to the human rights commission, a
# few not yet routed: small cells everywhere, next to large ones.
PLAN = {
    "2026-01": [("police_oversight", "misconduct", 2), ("anti_corruption_commission", "corruption", 1)],
    "2026-02": [("police_oversight", "misconduct", 7), ("anti_corruption_commission", "corruption", 2),
                (None, None, 1)],
    "2026-03": [("police_oversight", "misconduct", 12), ("anti_corruption_commission", "corruption", 7),
                ("human_rights_commission", "abuse_of_force", 2), ("police_oversight", "abuse_of_force", 1)],
    "2026-04": [("police_oversight", "misconduct", 8), ("anti_corruption_commission", "corruption", 5),
                (None, "corruption", 2)],
    "2026-05": [("police_oversight", "misconduct", 10), ("anti_corruption_commission", "corruption", 3),
                ("human_rights_commission", "abuse_of_force", 1)],
}
ROUTED = [S.CLOSED, S.INVESTIGATING, S.RESPONDED, S.CLOSED, S.REJECTED, S.ACKNOWLEDGED, S.CLOSED, S.REFERRED,
          S.RESPONDED, S.WITHDRAWN, S.CLOSED, S.INVESTIGATING]


@pytest.fixture
def app_config(app_config):
    # As in production: the first request builds the rollup, the others read it (nothing changes meanwhile,
    # the clock stands still), instead of rebuilding it for each of the hundreds of requests.
    app_config["STATISTICS_REFRESH_SECONDS"] = 60
    return app_config


@pytest.fixture
def sparse_world(new_case, clock):
    clock.now = NOW
    rng = random.Random(2026)
    for month, plan in PLAN.items():
        for body, theme, count in plan:
            for _ in range(count):
                created = dt.datetime.fromisoformat(f"{month}-01T08:00:00+00:00") + dt.timedelta(
                    days=rng.randint(0, 26), hours=rng.randint(0, 12))
                status = rng.choice(ROUTED) if body else rng.choice([S.RECEIVED, S.TRIAGED])
                case = new_case(status, body=body, theme=theme, region=rng.choice([*REGIONS, None]),
                                created_at=created, routed_by_hand=rng.random() < 0.3)
                if case.outcome is not None:
                    case.outcome = rng.choice(list(Outcome))
                    case.satisfaction = rng.choice([None, 1, 2, 3, 4, 5, 5, 4])
                    for _ in range(rng.choice([0, 0, 1])):
                        db.session.add(Recommendation(case=case, text="Retrain the officers.",
                                                      status=rng.choice(list(RemedyStatus))))
    db.session.commit()


def true_counts() -> dict[tuple[int, str, str, str], Counter[str]]:
    """Every count the statistics publish, per month, body, theme and region, counted from the cases."""
    atoms: dict[tuple[int, str, str, str], Counter[str]] = defaultdict(Counter)
    closed = {S.CLOSED: "closed_answered", S.REJECTED: "rejected", S.REFERRED: "referred", S.WITHDRAWN: "withdrawn"}
    for case in db.session.query(Case):
        month = case.created_at.strftime("%Y-%m")
        atom = (MONTHS.index(month), case.body.code if case.body else NONE, case.theme.code if case.theme else NONE,
                case.region.code if case.region else NONE)
        counts = atoms[atom]
        counts["received"] += 1
        counts[closed.get(case.status, "answered" if case.status is S.RESPONDED else "in_progress")] += 1
        counts["closed" if case.status in closed else "open"] += 1
        overdue = (case.acknowledged_at is None and case.closed_at is None and case.waiting_since is None
                   and case.acknowledge_due_at < NOW)
        counts["ack_due"] += case.acknowledged_at is not None or overdue
        if case.satisfaction is not None:
            counts["ratings"] += 1
            counts[f"rated_{case.satisfaction}"] += 1
        if case.outcome is not None:
            counts["with_outcome"] += 1
            counts[f"outcome_{case.outcome.value}"] += 1
        for recommendation in case.recommendations:
            counts["rec_made"] += 1
            counts[f"rec_{recommendation.status.value}"] += 1
    return atoms


class Truth:
    """True counts of any population, from a grid of every month x body x theme x region with cases."""

    def __init__(self) -> None:
        atoms = true_counts()
        self.members = [sorted({atom[i] for atom in atoms}) for i in (1, 2, 3)]
        self.grid = numpy.array(list(itertools.product(range(len(MONTHS)), *(range(len(m)) for m in self.members))))
        keys = [(month, *(self.members[i][p] for i, p in enumerate(rest))) for month, *rest in self.grid.tolist()]
        measures = {name for counts in atoms.values() for name in counts}
        self.counts = {name: numpy.array([atoms[key][name] if key in atoms else 0 for key in keys])
                       for name in measures}

    def has(self, population: Population) -> bool:
        """Whether every body, theme and region of the population has cases somewhere (else it has none)."""
        return all(member in (ANY, *members) for member, members in zip(population[2:], self.members, strict=True))

    def indicator(self, population: Population) -> numpy.ndarray:
        first, last, *chosen = population
        inside = (self.grid[:, 0] >= first) & (self.grid[:, 0] <= last)
        for k, member in enumerate(chosen):
            if member != ANY:
                inside &= self.grid[:, k + 1] == self.members[k].index(member)
        return inside.astype(float)

    def __call__(self, measure: str, population: Population) -> int:
        if not self.has(population):
            return 0
        return int(self.indicator(population) @ self.counts.get(measure, numpy.zeros(len(self.grid))))


def in_the_span(truth: Truth, known: dict[Population, int], measure: str) -> list[tuple[Population, int]]:
    """Beyond simple arithmetic: the small counts of a measure that some linear combination of its exact
    figures gives away (a population's indicator in the span of the known populations' indicators)."""
    rows = [truth.indicator(population) for population in known if truth.has(population)]
    if not rows:
        return []
    _, singular, basis = numpy.linalg.svd(numpy.array(rows), full_matrices=False)
    basis = basis[:int((singular > 1e-9 * singular[0]).sum())]
    found = []
    for first, last in itertools.combinations_with_replacement(range(len(MONTHS)), 2):
        for members in itertools.product(*((ANY, *m) for m in truth.members)):
            population = (first, last, *members)
            count = truth(measure, population)
            if 0 < count < THRESHOLD:
                vector = truth.indicator(population)
                if numpy.abs(vector - basis.T @ (basis @ vector)).max() < 1e-6:
                    found.append((population, count))
    return found


# ---------------------------------------------------------------- what the public sees

def every_filter():
    ranges = [("period=all", 0, len(MONTHS) - 1)] + [
        (f"from_month={MONTHS[i]}&to_month={MONTHS[j]}", i, j)
        for i, j in itertools.combinations_with_replacement(range(len(MONTHS)), 2)]
    for (period, first, last), body, theme, region in itertools.product(
            ranges, (ANY, *BODIES), (ANY, *THEMES), (ANY, *REGIONS)):
        arguments = [period] + [f"{name}={value}" for name, value in (("body", body), ("theme", theme),
                                                                       ("region", region)) if value != ANY]
        yield "&".join(arguments), (first, last, body, theme, region)


def published_figures(data: dict, scope: Population):
    """(measure, population, value or None, note) for every count in one statistics.json."""
    def counts(group: dict, population: Population):
        for measure, value in group["counts"].items():
            yield measure, population, value, group["not_shown"].get(measure, "")

    yield from counts(data["overall"], scope)
    for group in data["months"]:
        if group["code"] in MONTHS:
            month = MONTHS.index(group["code"])
            yield from counts(group, (month, month, *scope[2:]))
        else:
            # A month with no data at all: a zero reads like a small count.
            assert group["counts"]["received"] is None and group["not_shown"]["received"] == "fewer than 5", group
    for section, position in SECTIONS.items():
        for group in data[section]:
            population = list(scope)
            population[position] = group["code"]
            yield from counts(group, tuple(population))


class RunningTotals:
    """S[i], the count before month i, known up to a constant in each group of linked months: a known range
    [i, j] links i and j + 1 (S[j + 1] - S[i] is its count). A weighted union-find."""

    def __init__(self) -> None:
        self.parent = list(range(len(MONTHS) + 1))
        self.offset = [0] * (len(MONTHS) + 1)  # S[node] - S[parent]

    def _root(self, node: int) -> tuple[int, int]:
        total = 0
        while self.parent[node] != node:
            total += self.offset[node]
            node = self.parent[node]
        return node, total

    def link(self, start: int, end: int, value: int) -> None:
        (a, to_a), (b, to_b) = self._root(start), self._root(end)
        if a != b:  # S[end] - S[start] = value
            self.parent[b], self.offset[b] = a, to_a + value - to_b

    def difference(self, start: int, end: int) -> int | None:
        (a, to_a), (b, to_b) = self._root(start), self._root(end)
        return to_b - to_a if a == b else None


class Attacker:
    """What can be worked out from exact published counts, and how."""

    def __init__(self, domains: dict[int, set[str]]) -> None:
        self.domains = domains  # position in a population -> the members that ever have cases
        self.known: dict[tuple[str, Population], tuple[int, str]] = {}  # -> (value, how it was found)

    def learn(self, measure: str, population: Population, value: int, how: str) -> bool:
        if any(population[p] not in (ANY, *members) for p, members in self.domains.items()):
            return False  # a body, theme or region that never has any case: nothing to learn
        key = (measure, population)
        if key in self.known:
            assert self.known[key][0] == value, (key, value, how, self.known[key])
            return False
        self.known[key] = (value, how)
        return True

    def work_out_everything(self) -> None:
        while self._ranges() | self._totals_less_parts() | self._lines_between_counts():
            pass

    def _ranges(self) -> bool:
        """Any range whose first and last month are linked by known ranges."""
        groups: dict[tuple, RunningTotals] = defaultdict(RunningTotals)
        for (measure, (first, last, *members)), (value, _) in self.known.items():
            groups[(measure, *members)].link(first, last + 1, value)
        learnt = False
        for (measure, *members), totals in groups.items():
            for start, end in itertools.combinations(range(len(MONTHS) + 1), 2):
                difference = totals.difference(start, end)
                if difference is not None:
                    learnt |= self.learn(measure, (start, end - 1, *members), difference, "months")
        return learnt

    def _totals_less_parts(self) -> bool:
        learnt = False
        for measure, population in list(self.known):
            for position, members in self.domains.items():
                total = list(population)
                total[position] = ANY
                parts = [tuple(total[:position] + [m] + total[position + 1:]) for m in members]
                learnt |= self._line(measure, [(measure, p) for p in parts], (measure, tuple(total)),
                                     f"{['body', 'theme', 'region'][position - 2]}s")
        return learnt

    def _lines_between_counts(self) -> bool:
        learnt = False
        for population in {population for _, population in self.known}:
            for parts, total in STATUS_LINES + DETAIL_LINES:
                learnt |= self._line(total, [(p, population) for p in parts], (total, population), "counts")
        return learnt

    def _line(self, measure: str, parts: list, total: tuple, how: str) -> bool:
        unknown = [part for part in parts if part not in self.known]
        if total in self.known and len(unknown) == 1:
            rest = self.known[total][0] - sum(self.known[p][0] for p in parts if p in self.known)
            return self.learn(*unknown[0], rest, f"{how}: total less parts")
        if total not in self.known and not unknown:
            return self.learn(*total, sum(self.known[p][0] for p in parts), f"{how}: sum of parts")
        return False


def test_no_filter_combination_gives_a_hidden_count_away(client, sparse_world):
    truth = Truth()
    seen: dict[tuple[str, Population], set[tuple[int | None, str]]] = defaultdict(set)
    listings: list[tuple[Population, int, set[str], list[str]]] = []
    pages = 0
    for query, scope in every_filter():
        response = client.get(f"/transparency/statistics.json?{query}")
        assert response.status_code == 200, query
        data = response.get_json()
        assert data["small_count_threshold"] == THRESHOLD
        for measure, population, value, note in published_figures(data, scope):
            seen[(measure, population)].add((value, note))
        for section, position in SECTIONS.items():
            if scope[position] == ANY:
                listings.append((scope, position, {g["code"] for g in data[section]}, list(data[section][0]["counts"])))
        pages += 1
    assert pages == 16 * 4 * 4 * 3

    # A body, subject or region published as 0 for the whole period never has a case: it is left out. One
    # that has cases but is not listed under some filter has none there.
    everything = (0, len(MONTHS) - 1, ANY, ANY, ANY)
    domains: dict[int, set[str]] = defaultdict(set)
    for _, position, codes, _ in listings:
        for code in codes:
            whole = tuple(code if p == position else member for p, member in enumerate(everything))
            if seen[("received", whole)] != {(0, "")}:
                domains[position].add(code)
    attacker = Attacker(domains)
    for (measure, population), states in seen.items():
        for value, _ in states:
            if value is not None:
                assert value == truth(measure, population), (measure, population)
                attacker.learn(measure, population, value, "published")
    for scope, position, codes, measures in listings:
        for code in domains[position] - codes:
            population = tuple(code if p == position else member for p, member in enumerate(scope))
            for measure in measures:
                attacker.learn(measure, population, 0, "not listed")
    attacker.work_out_everything()

    disclosed = [(measure, population, value, how) for (measure, population), (value, how) in attacker.known.items()
                 if 0 < truth(measure, population) < THRESHOLD]
    assert sum(how != "published" for _, how in attacker.known.values()) > 0
    assert not disclosed, f"{len(disclosed)} small counts worked out, e.g. {sorted(disclosed)[:8]}"

    # Nor any linear combination of the exact figures of one count (a full audit of each measure).
    exact: dict[str, dict[Population, int]] = defaultdict(dict)
    for (measure, population), states in seen.items():
        for value, _ in states:
            if value is not None:
                exact[measure][population] = value
    spanned = {measure: found for measure in exact if (found := in_the_span(truth, exact[measure], measure))}
    assert not spanned, spanned

    # The same cases read the same under any filter: one protected table, not one per request.
    differing = {key: states for key, states in seen.items() if len(states) > 1}
    assert not differing, f"{len(differing)} figures differ between requests, e.g. {list(differing.items())[:3]}"


# ---------------------------------------------------------------- the two attacks of the issue, one by one

def _received(data: dict) -> tuple[int | None, str]:
    counts = data["overall"]
    return counts["counts"]["received"], counts["not_shown"].get("received", "")


def test_two_overlapping_periods_do_not_give_a_hidden_month_away(client, new_case, clock):
    clock.now = NOW
    for day in (3, 9, 20):  # December 2025: three complaints
        new_case(S.INVESTIGATING, created_at=dt.datetime(2025, 12, day, 10, tzinfo=dt.UTC))
    for month in range(1, 7):
        for day in range(1, 8):
            new_case(S.CLOSED, created_at=dt.datetime(2026, month, day, 10, tzinfo=dt.UTC))
    longer = client.get("/transparency/statistics.json?from_month=2025-12&to_month=2026-05").get_json()
    shorter = client.get("/transparency/statistics.json?from_month=2026-01&to_month=2026-05").get_json()

    december = next(m for m in longer["months"] if m["code"] == "2025-12")
    assert december["counts"]["received"] is None and december["not_shown"]["received"] == "fewer than 5"
    # Before: 38 and 35 were both published, and 38 - 35 = 3. Now the period with December is a bound, and
    # no period that is published exactly differs from another by December alone.
    assert _received(longer)[0] is None
    shown = sum(m["counts"]["received"] or 0 for m in longer["months"])
    assert longer["overall"]["at_least"]["received"] == shown
    assert _received(longer)[1] == f"at least {shown}"
    exact_shorter = _received(shorter)[0]
    assert exact_shorter is None or exact_shorter == sum(m["counts"]["received"] for m in shorter["months"])

    page = client.get("/transparency?from_month=2025-12&to_month=2026-05").get_data(as_text=True)
    assert f'<span class="stat" data-kind="count">at least {shown}</span>' in page
    rows = csv.DictReader(io.StringIO(client.get(
        "/transparency/statistics.csv?from_month=2025-12&to_month=2026-05").get_data(as_text=True)))
    overall = next(r for r in rows if (r["section"], r["measure"]) == ("overall", "received"))
    assert overall["value"] == "" and overall["note"] == f"at least {shown}"


def test_a_body_reads_the_same_alone_as_beside_the_others(client, new_case, clock):
    clock.now = NOW
    for body, count in (("police_oversight", 30), ("anti_corruption_commission", 20), ("human_rights_commission", 3)):
        for number in range(count):
            new_case(S.CLOSED, body=body, created_at=NOW - dt.timedelta(days=10 + number))
    everyone = client.get("/transparency/statistics.json?period=all").get_json()
    bodies = {b["code"]: (b["counts"]["received"], b["not_shown"].get("received", "")) for b in everyone["bodies"]}
    assert bodies["human_rights_commission"] == (None, "fewer than 5")
    assert None in (bodies["police_oversight"][0], bodies["anti_corruption_commission"][0])  # else 53 - 30 - 20
    for code in ("police_oversight", "anti_corruption_commission", "human_rights_commission"):
        alone = client.get(f"/transparency/statistics.json?period=all&body={code}").get_json()
        # Before: a body withheld beside the others was shown on its own page, giving the small one away.
        assert _received(alone) == bodies[code], code
