"""Uploaded CSV files: the good ones load, the bad ones get a message naming the problem."""

import numpy as np
import pytest

from handgrad.playground import limits
from handgrad.playground.csvdata import DataError, parse_csv, parse_points


def rows(n, classes=3):
    return "".join(f"{i * 0.01:.3f},{(i % 7) * 0.1:.2f},{i % classes}\n" for i in range(n))


def test_a_three_class_csv_with_a_header_loads():
    x, y = parse_csv(("x1,x2,label\n" + rows(60)).encode(), "classification")
    assert x.shape == (60, 2) and x.dtype == np.float32
    assert sorted(set(y.tolist())) == [0.0, 1.0, 2.0]


def test_semicolons_tabs_bom_and_blank_lines():
    text = "\ufeffa;b;c\n\n" + rows(20, 2).replace(",", ";") + "\n\n"
    x, y = parse_csv(text.encode("utf-8"), "classification")
    assert len(x) == 20
    x, _ = parse_csv(rows(12, 2).replace(",", "\t").encode(), "classification")
    assert len(x) == 12


def test_regression_targets_may_be_any_number():
    text = "".join(f"{i},{-i},{i * 0.37 - 2}\n" for i in range(30))
    x, y = parse_csv(text.encode(), "regression")
    assert y[5] == np.float32(5 * 0.37 - 2)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"x1,x2\n1,2\n", "2 columns; expected 3"),
        (rows(20).replace("0.000,0.00,0", "1,2,3,4").encode(), "row 1 has 4 columns"),
        (
            rows(20).replace("0.050,0.50,2", "0.05,nan,2").encode(),
            "row 6, column x2: 'nan' is not a finite",
        ),
        (rows(20).replace("0.050,0.50,2", "0.05,inf,2").encode(), "not a finite"),
        (rows(20).replace("0.050,0.50,2", "0.05,abc,2").encode(), "'abc' is not a number"),
        (rows(20).replace("0.050,0.50,2", "0.05,0.5,2.5").encode(), "label 2.5 is not a class"),
        (rows(20).replace("0.050,0.50,2", "0.05,0.5,12").encode(), "label 12 is not a class"),
        (rows(20).replace("0.050,0.50,2", "0.05,0.5,-1").encode(), "label -1 is not a class"),
        (rows(20, 2).replace(",1\n", ",3\n").encode(), "no point has label 1, 2"),
        (rows(5).encode(), "needs at least 10 points"),
        (rows(20).replace("0.050,0.50,2", "0.05,1e9,2").encode(), "larger than 1e+06"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not UTF-8"),
        (b"1,2,0\n\x00\x00,1,1\n", "NUL"),
    ],
)
def test_bad_files_get_clear_messages(raw, message):
    with pytest.raises(DataError, match=None) as info:
        parse_csv(raw, "classification")
    assert message in str(info.value)


def test_size_and_row_limits():
    too_many = rows(limits.MAX_UPLOAD_ROWS + 1).encode()
    with pytest.raises(DataError, match="more than 5,000 rows"):
        parse_csv(too_many, "classification")
    with pytest.raises(DataError, match="1,000,000 bytes"):
        parse_csv(b"1,2,0\n" * 200_000, "classification")
    x, _ = parse_csv(rows(limits.MAX_UPLOAD_ROWS).encode(), "classification")
    assert len(x) == limits.MAX_UPLOAD_ROWS


def test_clicked_points_are_checked():
    domain = (-1.0, 1.0, -1.0, 1.0)
    assert parse_points([[0.5, -0.5, 1]], "classification", domain).shape == (1, 3)
    for bad, words in [
        ([[2.0, 0.0, 1]], "outside the picture"),
        ([[0.0, 0.0, 1.5]], "not a class"),
        ([[0.0, 0.0]], "three finite numbers"),
        ([[0.0, float("nan"), 1]], "three finite numbers"),
        ([], "list of 1 to 100"),
        ("points", "list of 1 to 100"),
    ]:
        with pytest.raises(DataError, match=words):
            parse_points(bad, "classification", domain)
