"""The grading arithmetic: worked examples of each rule, then properties checked by Hypothesis."""

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.grades.averages import (
    CALIFICATIVE,
    Standing,
    Status,
    annual_average,
    conduct_average,
    conduct_calificativ,
    conduct_deductions,
    general_average,
    is_deferred,
    legacy_annual_average,
    legacy_semester_average,
    minimum_grades,
    module_minimum_grades,
    round_half_up,
    student_status,
    suggest_calificativ,
    two_decimals,
)

grades = st.integers(min_value=1, max_value=10)
grade_lists = st.lists(grades, min_size=1, max_size=40)
two_decimal_conduct = st.decimals(min_value=1, max_value=10, places=2)


# Rounding


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(9, 2), 5),
        (Fraction(449, 100), 4),
        (Fraction(17, 2), 9),
        (Fraction(8495, 1000), 8),
        (Fraction(0), 0),
        (7, 7),
        (Decimal("6.50"), 7),
    ],
)
def test_half_rounds_up_in_the_students_favour(value, expected):
    assert round_half_up(value) == expected


@pytest.mark.parametrize(
    ("value", "truncate", "expected"),
    [
        (Fraction(59, 7), False, "8.43"),
        (Fraction(59, 7), True, "8.42"),
        (Fraction(8495, 1000), False, "8.50"),
        (Fraction(8495, 1000), True, "8.49"),
        (Fraction(1, 3), False, "0.33"),
        (Fraction(2, 3), True, "0.66"),
        (Fraction(10), False, "10.00"),
        (Fraction(0), True, "0.00"),
    ],
)
def test_two_decimals_rounds_half_up_or_truncates_and_always_keeps_two_places(value, truncate, expected):
    result = two_decimals(value, truncate=truncate)
    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -2


def test_negative_numbers_are_not_rounded():
    with pytest.raises(ValueError):
        round_half_up(Fraction(-1, 2))
    with pytest.raises(ValueError):
        two_decimals(Fraction(-1, 3))


# Rule 3: annual average


@pytest.mark.parametrize(
    ("marks", "expected"),
    [
        ([4, 5], 5),
        ([4, 4, 5], 4),
        ([9, 9, 8], 9),
        ([6, 7, 7, 7, 7, 7, 7, 7], 7),
        ([5, 4, 4, 4], 4),
        ([10], 10),
        ([1], 1),
    ],
)
def test_annual_average_is_the_exact_mean_rounded_half_up(marks, expected):
    assert annual_average(marks) == expected


def test_a_subject_without_grades_has_no_annual_average():
    assert annual_average([]) is None


@pytest.mark.parametrize("marks", [[0], [11], [5, -3]])
def test_grades_outside_one_to_ten_are_refused(marks):
    with pytest.raises(ValueError):
        annual_average(marks)


# Rule 5: minimum number of grades


@pytest.mark.parametrize(("weekly_hours", "expected"), [(0, 4), (1, 4), (2, 5), (4, 7), (5, 8)])
def test_a_subject_needs_three_grades_more_than_its_weekly_hours_and_at_least_four(weekly_hours, expected):
    assert minimum_grades(weekly_hours=weekly_hours) == expected


@pytest.mark.parametrize(("total_hours", "expected"), [(0, 2), (25, 2), (50, 2), (51, 3), (100, 4), (120, 5)])
def test_a_module_needs_one_grade_per_25_hours_started_and_at_least_two(total_hours, expected):
    assert module_minimum_grades(total_hours=total_hours) == expected


# Rule 6: general average


@pytest.mark.parametrize(("truncate", "expected"), [(False, "8.43"), (True, "8.42")])
def test_general_average_counts_conduct_as_one_more_term(truncate, expected):
    # (10 + 9 + 8 + 7 + 7 + 9 + 9) / 7 = 59/7 = 8.428…
    result = general_average(subject_averages=[10, 9, 8, 7, 7, 9], conduct=9, truncate=truncate)
    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -2


def test_general_average_takes_a_conduct_average_with_decimals():
    # (10 + 9 + 8.50) / 3 = 9.1666…
    assert general_average(subject_averages=[10, 9], conduct=Decimal("8.50")) == Decimal("9.17")


def test_a_year_without_subject_averages_has_no_general_average():
    assert general_average(subject_averages=[], conduct=10) is None


# Rule 8: legacy years (before 2022-23)


@pytest.mark.parametrize(
    ("marks", "thesis", "expected"),
    [
        # M = 8.66 (truncated, not 8.67): (25.98 + 8) / 4 = 8.495 → 8; the untruncated mean would give 8.50 → 9.
        ([9, 9, 8], 8, 8),
        ([9, 9, 8], None, 9),
        ([6, 6], 8, 7),  # (18 + 8) / 4 = 6.50 → 7
        ([10, 9], 7, 9),  # (28.50 + 7) / 4 = 8.875 → 9
        ([5, 6], 4, 5),  # (16.50 + 4) / 4 = 5.125 → 5
    ],
)
def test_legacy_semester_average_weighs_the_thesis_a_quarter_after_truncating_the_other_grades(marks, thesis, expected):
    assert legacy_semester_average(grades=marks, thesis=thesis) == expected


def test_a_legacy_semester_without_grades_has_no_average():
    with pytest.raises(ValueError):
        legacy_semester_average(grades=[], thesis=8)


@pytest.mark.parametrize(("semesters", "expected"), [([8, 9], "8.50"), ([7, 7], "7.00"), ([9, 9, 8], "8.66")])
def test_legacy_annual_average_is_the_semesters_mean_truncated_at_two_decimals(semesters, expected):
    result = legacy_annual_average(semesters=semesters)
    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -2


# Rule 9: calificative


def test_calificative_are_listed_in_ascending_order():
    assert CALIFICATIVE == ("I", "S", "B", "FB")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["FB", "FB", "B"], "FB"),
        (["I"], "I"),
        (["S", "B", "B", "FB", "B"], "B"),
        (["B", "FB"], None),
        (["S", "S", "B", "B", "I"], None),
        ([], None),
    ],
)
def test_the_suggested_calificativ_is_the_most_frequent_and_a_tie_is_left_to_the_teacher(values, expected):
    assert suggest_calificativ(values) == expected


@pytest.mark.parametrize("values", [["FB", "X"], ["fb"], [10]])
def test_an_unknown_calificativ_is_refused(values):
    with pytest.raises(ValueError):
        suggest_calificativ(values)


# Rule 10: conduct


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"module_grades": [10, 10, 10, 10, 10], "unexcused_total": 45}, "8.00"),
        ({"module_grades": [10, 10], "unexcused_total": 19}, "10.00"),
        ({"module_grades": [10, 10], "unexcused_total": 20}, "9.00"),
        ({"module_grades": [10, 10], "unexcused_total": 45, "step": 10}, "6.00"),
        ({"module_grades": [10, 10], "unexcused_total": 6, "subject_unexcused": [(6, 30)]}, "9.00"),
        ({"module_grades": [10, 10], "unexcused_total": 5, "subject_unexcused": [(5, 30)]}, "10.00"),
        ({"module_grades": [10], "unexcused_total": 3, "subject_unexcused": [(3, 0)]}, "10.00"),
        # Two subjects over the share: a point for each (the Statute's "cu câte un punct"), or one in all.
        ({"module_grades": [10], "unexcused_total": 12, "subject_unexcused": [(6, 30), (6, 30)]}, "8.00"),
        (
            {
                "module_grades": [10],
                "unexcused_total": 12,
                "subject_unexcused": [(6, 30), (6, 30)],
                "per_subject": False,
            },
            "9.00",
        ),
        ({"module_grades": [10], "unexcused_total": 18, "subject_unexcused": [(6, 30), (6, 30), (6, 30)]}, "7.00"),
        ({"module_grades": [10], "unexcused_total": 11, "subject_unexcused": [(6, 30), (5, 30)]}, "9.00"),
        (
            {
                "module_grades": [10],
                "unexcused_total": 4,
                "subject_unexcused": [(4, 30)],
                "subject_share": Fraction(1, 10),
            },
            "9.00",
        ),
        ({"module_grades": [10], "unexcused_total": 45, "subject_unexcused": [(10, 34)]}, "7.00"),
        (
            {"module_grades": [10], "unexcused_total": 45, "subject_unexcused": [(10, 34)], "deductions_add": False},
            "8.00",
        ),
        (
            {"module_grades": [10], "unexcused_total": 6, "subject_unexcused": [(6, 30)], "deductions_add": False},
            "9.00",
        ),
        ({"module_grades": [10, 9, 9], "unexcused_total": 0}, "9.33"),
        ({"module_grades": [10, 10, 9], "unexcused_total": 0}, "9.67"),
        ({"module_grades": [10, 10, 9], "unexcused_total": 0, "truncate": True}, "9.66"),
        ({"module_grades": [1, 2], "unexcused_total": 100}, "1.00"),
    ],
)
def test_conduct_average_loses_points_for_unexcused_absences(kwargs, expected):
    result = conduct_average(**kwargs)
    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -2


def test_conduct_deductions_add_up_or_only_the_larger_one_applies():
    absences = {"unexcused_total": 45, "subject_unexcused": [(10, 34)]}
    assert conduct_deductions(**absences) == 3
    assert conduct_deductions(**absences, deductions_add=False) == 2


def test_each_subject_over_the_share_costs_a_point_unless_the_rule_set_counts_them_once():
    # 45 unexcused: 2 points by the 20-absence step; religion (34 h) and physical education (68 h) over 20%,
    # mathematics (136 h) under it.
    absences = {"unexcused_total": 45, "subject_unexcused": [(7, 34), (14, 68), (24, 136)]}
    assert conduct_deductions(**absences) == 2 + 2
    assert conduct_deductions(**absences, per_subject=False) == 2 + 1
    assert conduct_deductions(**absences, deductions_add=False) == 2
    assert conduct_deductions(unexcused_total=45, subject_unexcused=[(7, 34)] * 3, deductions_add=False) == 3
    assert conduct_deductions(**absences, per_subject=False, deductions_add=False) == 2


def test_primary_conduct_steps_down_once_per_subject_over_the_share():
    absences = {"unexcused_total": 16, "subject_unexcused": [(8, 36), (8, 36)]}
    per_subject = conduct_deductions(**absences)
    once = conduct_deductions(**absences, per_subject=False)
    assert conduct_calificativ(module_values=["FB"] * 5, deductions=per_subject) == "S"
    assert conduct_calificativ(module_values=["FB"] * 5, deductions=once) == "B"


@pytest.mark.parametrize("per_subject", [1, 0, "once", None])
def test_whether_each_subject_costs_a_point_is_a_bool(per_subject):
    with pytest.raises(TypeError):
        conduct_deductions(unexcused_total=0, per_subject=per_subject)


def test_a_conduct_average_needs_module_grades():
    with pytest.raises(ValueError):
        conduct_average(module_grades=[], unexcused_total=0)


@pytest.mark.parametrize(
    ("values", "deductions", "expected"),
    [
        (["FB", "FB", "B"], 0, "FB"),
        (["FB", "B"], 0, "B"),
        (["FB", "B", "S", "S", "B"], 0, "S"),
        (["FB"], 1, "B"),
        (["FB"], 2, "S"),
        (["FB"], 3, "I"),
        (["FB"], 7, "I"),
        (["S", "I", "I"], 1, "I"),
    ],
)
def test_primary_conduct_is_the_most_frequent_module_calificativ_stepped_down_per_deduction(
    values, deductions, expected
):
    assert conduct_calificativ(module_values=values, deductions=deductions) == expected


def test_primary_conduct_needs_module_calificative():
    with pytest.raises(ValueError):
        conduct_calificativ(module_values=[], deductions=0)


# Rule 11: the year's outcome


def test_statuses_are_strings_with_romanian_labels():
    assert [str(status) for status in Status] == ["promovat", "corigent", "repetent", "amanat"]
    assert Status("corigent") is Status.CORIGENT
    assert [str(status.label) for status in Status] == [
        "Promovat",
        "Corigent",
        "Repetent",
        "Situație neîncheiată (amânat)",
    ]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"subject_averages": {"Română": 8, "Matematică": 5}, "conduct": 10},
            Standing(Status.PROMOVAT, failed=(), deferred=()),
        ),
        (
            {"subject_averages": {"Română": 8, "Matematică": 4}, "conduct": 10},
            Standing(Status.CORIGENT, failed=("Matematică",), deferred=()),
        ),
        (
            {"subject_averages": {"Română": 3, "Matematică": 4, "Fizică": 7}, "conduct": 9},
            Standing(Status.CORIGENT, failed=("Română", "Matematică"), deferred=()),
        ),
        (
            {"subject_averages": {"Română": 3, "Matematică": 4, "Fizică": 2, "Chimie": 9}, "conduct": 9},
            Standing(Status.REPETENT, failed=("Română", "Matematică", "Fizică"), deferred=()),
        ),
        (
            {"subject_averages": {"CLR": "I", "MEM": "FB"}, "conduct": "B"},
            Standing(Status.CORIGENT, failed=("CLR",), deferred=()),
        ),
        ({"subject_averages": {"Română": 9}, "conduct": 5}, Standing(Status.REPETENT, failed=(), deferred=())),
        (
            {"subject_averages": {"Română": 9}, "conduct": Decimal("5.99")},
            Standing(Status.REPETENT, failed=(), deferred=()),
        ),
        (
            {"subject_averages": {"Română": 9}, "conduct": Decimal("6.00")},
            Standing(Status.PROMOVAT, failed=(), deferred=()),
        ),
        ({"subject_averages": {"CLR": "S"}, "conduct": "I"}, Standing(Status.REPETENT, failed=(), deferred=())),
        ({"subject_averages": {"CLR": "S"}, "conduct": "S"}, Standing(Status.PROMOVAT, failed=(), deferred=())),
        (
            {"subject_averages": {"Română": 4}, "conduct": 10, "resit_failed": True},
            Standing(Status.REPETENT, failed=("Română",), deferred=()),
        ),
        (
            {"subject_averages": {"Română": 9, "Fizică": None}, "conduct": 10},
            Standing(Status.AMANAT, failed=(), deferred=("Fizică",)),
        ),
        (
            {"subject_averages": {"Română": 9, "Fizică": 4}, "conduct": 10, "deferred": ["Fizică", "Sport"]},
            Standing(Status.AMANAT, failed=(), deferred=("Fizică", "Sport")),
        ),
        (
            {"subject_averages": {"Română": 4, "Fizică": None}, "conduct": 10},
            Standing(Status.AMANAT, failed=("Română",), deferred=("Fizică",)),
        ),
        (
            {"subject_averages": {"Română": 4, "Istorie": 3, "Chimie": 2, "Fizică": None}, "conduct": 10},
            Standing(Status.REPETENT, failed=("Română", "Istorie", "Chimie"), deferred=("Fizică",)),
        ),
        (
            {"subject_averages": {"Română": 9, "Fizică": None}, "conduct": 4},
            Standing(Status.REPETENT, failed=(), deferred=("Fizică",)),
        ),
        ({"subject_averages": {"Română": 9}, "conduct": None}, Standing(Status.AMANAT, failed=(), deferred=())),
    ],
)
def test_repetent_comes_first_then_open_subjects_then_corigent_then_promovat(kwargs, expected):
    assert student_status(**kwargs) == expected


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"subject_averages": {"CLR": "X"}, "conduct": 10}, ValueError),
        ({"subject_averages": {"Română": 11}, "conduct": 10}, ValueError),
        ({"subject_averages": {"Română": 9}, "conduct": "X"}, ValueError),
        ({"subject_averages": {"Română": 9}, "conduct": Decimal("10.50")}, ValueError),
        ({"subject_averages": {"Română": 9}, "conduct": 10, "deferred": "Fizică"}, TypeError),
    ],
)
def test_student_status_refuses_what_is_not_an_average(kwargs, error):
    with pytest.raises(error):
        student_status(**kwargs)


@pytest.mark.parametrize(
    ("absent_hours", "yearly_hours", "grade_count", "minimum", "expected"),
    [
        (17, 34, 3, 4, True),
        (16, 34, 3, 4, False),
        (34, 34, 3, 4, True),
        (20, 34, 4, 4, False),
        (0, 0, 0, 4, False),
    ],
)
def test_a_subject_is_deferred_after_half_its_hours_missed_with_too_few_grades(
    absent_hours, yearly_hours, grade_count, minimum, expected
):
    assert (
        is_deferred(absent_hours=absent_hours, yearly_hours=yearly_hours, grade_count=grade_count, minimum=minimum)
        is expected
    )


# Floats are never accepted


@pytest.mark.parametrize(
    "call",
    [
        lambda: round_half_up(4.5),
        lambda: two_decimals(0.1),
        lambda: annual_average([9.5, 8]),
        lambda: minimum_grades(weekly_hours=2.0),
        lambda: module_minimum_grades(total_hours=50.0),
        lambda: general_average(subject_averages=[9, 8], conduct=9.5),
        lambda: general_average(subject_averages=[9.0], conduct=10),
        lambda: legacy_semester_average(grades=[9, 8], thesis=7.0),
        lambda: legacy_annual_average(semesters=[8.5, 9]),
        lambda: conduct_average(module_grades=[10.0], unexcused_total=0),
        lambda: conduct_average(module_grades=[10], unexcused_total=0, subject_share=0.2),
        lambda: conduct_deductions(unexcused_total=0, subject_unexcused=[(6.0, 30)]),
        lambda: student_status(subject_averages={"Română": 4.5}, conduct=10),
        lambda: student_status(subject_averages={"Română": 9}, conduct=9.5),
        lambda: is_deferred(absent_hours=17.0, yearly_hours=34, grade_count=3, minimum=4),
    ],
)
def test_floats_are_refused(call):
    with pytest.raises(TypeError):
        call()


# Properties


@given(grade_lists)
def test_annual_average_lies_between_the_lowest_and_the_highest_grade(marks):
    assert min(marks) <= annual_average(marks) <= max(marks)


@given(grade_lists)
def test_annual_average_matches_an_independent_computation(marks):
    assert annual_average(marks) == math.floor(Fraction(sum(marks), len(marks)) + Fraction(1, 2))


@given(st.fractions(min_value=0, max_value=10))
def test_two_decimals_rounds_within_half_a_hundredth_and_truncates_less_than_a_hundredth(value):
    rounded = Fraction(two_decimals(value))
    truncated = Fraction(two_decimals(value, truncate=True))
    assert abs(rounded - value) <= Fraction(1, 200)
    assert truncated <= value < truncated + Fraction(1, 100)


@given(st.lists(grades, min_size=1, max_size=20), st.one_of(grades, two_decimal_conduct), st.booleans())
def test_general_average_lies_between_its_lowest_and_highest_term(subjects, conduct, truncate):
    terms = [*subjects, conduct]
    result = general_average(subject_averages=subjects, conduct=conduct, truncate=truncate)
    assert min(terms) <= result <= max(terms)
    assert result.as_tuple().exponent == -2


@given(grade_lists)
def test_a_legacy_semester_without_thesis_is_averaged_like_a_current_year(marks):
    assert legacy_semester_average(grades=marks) == annual_average(marks)


@given(
    module_grades=grade_lists,
    unexcused_total=st.integers(min_value=0, max_value=400),
    subject_unexcused=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 200)), max_size=8),
    step=st.integers(min_value=1, max_value=40),
    deductions_add=st.booleans(),
    per_subject=st.booleans(),
)
def test_conduct_average_is_never_below_one_nor_above_the_mean(
    module_grades, unexcused_total, subject_unexcused, step, deductions_add, per_subject
):
    absences = {
        "unexcused_total": unexcused_total,
        "subject_unexcused": subject_unexcused,
        "step": step,
        "deductions_add": deductions_add,
        "per_subject": per_subject,
    }
    mean = Fraction(sum(module_grades), len(module_grades))
    rounded = conduct_average(module_grades=module_grades, **absences)
    truncated = conduct_average(module_grades=module_grades, truncate=True, **absences)
    assert Decimal(1) <= truncated <= rounded
    assert Fraction(truncated) <= mean
    assert rounded <= two_decimals(mean)
    assert rounded.as_tuple().exponent == truncated.as_tuple().exponent == -2


@given(
    unexcused_total=st.integers(min_value=0, max_value=400),
    subject_unexcused=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 200)), max_size=8),
    per_subject=st.booleans(),
)
def test_only_the_larger_deduction_never_takes_more_than_both(unexcused_total, subject_unexcused, per_subject):
    absences = {"unexcused_total": unexcused_total, "subject_unexcused": subject_unexcused, "per_subject": per_subject}
    larger = conduct_deductions(**absences, deductions_add=False)
    both = conduct_deductions(**absences)
    assert larger <= both
    if not per_subject:
        assert both <= larger + 1


@given(
    unexcused_total=st.integers(min_value=0, max_value=400),
    subject_unexcused=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 200)), max_size=8),
    step=st.integers(min_value=1, max_value=40),
    percent=st.integers(min_value=1, max_value=100),
    deductions_add=st.booleans(),
    per_subject=st.booleans(),
)
def test_conduct_deductions_match_an_independent_computation(
    unexcused_total, subject_unexcused, step, percent, deductions_add, per_subject
):
    # Counted apart: a subject reaches the share when 100 · unexcused ≥ percent · hours (and it has hours).
    over = len([1 for unexcused, hours in subject_unexcused if hours and 100 * unexcused >= percent * hours])
    by_subject = over if per_subject else min(over, 1)
    by_total = unexcused_total // step
    expected = by_total + by_subject if deductions_add else max(by_total, by_subject)
    rules = {"step": step, "subject_share": Fraction(percent, 100), "deductions_add": deductions_add}
    absences = {"unexcused_total": unexcused_total, "subject_unexcused": subject_unexcused}
    assert conduct_deductions(**absences, **rules, per_subject=per_subject) == expected


@given(
    unexcused_total=st.integers(min_value=0, max_value=400),
    subject_unexcused=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 200)), max_size=8),
)
def test_counting_each_subject_never_takes_fewer_points_than_counting_them_once(unexcused_total, subject_unexcused):
    absences = {"unexcused_total": unexcused_total, "subject_unexcused": subject_unexcused}
    assert conduct_deductions(**absences, per_subject=False) <= conduct_deductions(**absences)


@given(st.lists(st.sampled_from(CALIFICATIVE), max_size=30))
def test_a_suggested_calificativ_is_strictly_the_most_frequent(values):
    suggestion = suggest_calificativ(values)
    counts = {value: values.count(value) for value in CALIFICATIVE}
    if suggestion is None:
        top = max(counts.values())
        assert not values or sum(count == top for count in counts.values()) > 1
    else:
        assert all(count < counts[suggestion] for value, count in counts.items() if value != suggestion)


@given(st.lists(st.sampled_from(CALIFICATIVE), min_size=1, max_size=30), st.integers(0, 5))
def test_primary_conduct_never_rises_with_deductions(values, deductions):
    fewer = conduct_calificativ(module_values=values, deductions=deductions)
    more = conduct_calificativ(module_values=values, deductions=deductions + 1)
    assert CALIFICATIVE.index(more) <= CALIFICATIVE.index(fewer)


subject_names = st.text(alphabet="abcdefghij", min_size=1, max_size=6)
subject_averages = st.dictionaries(subject_names, st.one_of(grades, st.sampled_from(CALIFICATIVE)), max_size=12)
conducts = st.one_of(grades, two_decimal_conduct, st.sampled_from(CALIFICATIVE))


def _fails(average):
    return average == "I" if isinstance(average, str) else average < 5


@given(subject_averages, conducts, st.booleans())
def test_failed_subjects_are_exactly_those_below_five_or_with_i(averages, conduct, resit_failed):
    standing = student_status(subject_averages=averages, conduct=conduct, resit_failed=resit_failed)
    assert standing.failed == tuple(name for name, average in averages.items() if _fails(average))
    assert standing.deferred == ()


@given(subject_averages, conducts, st.sets(subject_names, max_size=3))
def test_three_or_more_failed_subjects_always_repeat_the_year(averages, conduct, deferred):
    standing = student_status(subject_averages=averages, conduct=conduct, deferred=deferred)
    if len([name for name, average in averages.items() if name not in deferred and _fails(average)]) > 2:
        assert standing.status is Status.REPETENT


@given(subject_averages, conducts)
def test_a_closed_year_without_failures_and_with_passing_conduct_is_promovat(averages, conduct):
    standing = student_status(subject_averages=averages, conduct=conduct)
    conduct_passes = conduct != "I" if isinstance(conduct, str) else conduct >= 6
    nothing_failed = not any(_fails(average) for average in averages.values())
    assert (standing.status is Status.PROMOVAT) == (conduct_passes and nothing_failed)


@given(subject_averages, conducts, st.sets(subject_names, max_size=3), st.booleans())
def test_a_failed_resit_or_conduct_is_always_repetent_and_open_subjects_never_promote(
    averages, conduct, deferred, resit_failed
):
    standing = student_status(subject_averages=averages, conduct=conduct, deferred=deferred, resit_failed=resit_failed)
    conduct_fails = conduct == "I" if isinstance(conduct, str) else conduct < 6
    if resit_failed or conduct_fails:
        assert standing.status is Status.REPETENT
    if deferred:
        assert standing.status in {Status.REPETENT, Status.AMANAT}
        assert set(standing.deferred) == set(deferred)
