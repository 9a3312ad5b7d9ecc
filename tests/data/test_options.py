"""Dataset options are checked against the loader's signature: names and annotated types."""

import pytest

from vaelab.config import build_config
from vaelab.data import check_options
from vaelab.errors import ConfigError, DataError


def test_known_options_of_the_right_type_pass():
    assert check_options("digits", {"size": 8}) == {"size": 8}
    assert check_options("mnist", {"reduced": 600, "max_items": None}) == {"reduced": 600, "max_items": None}
    assert check_options("mog", {"n": 50, "dim": 4}) == {"n": 50, "dim": 4}


@pytest.mark.parametrize("name,options,message", [
    ("digits", {"size": "big"}, r"invalid data.options.size='big' for digits: need an integer"),
    ("digits", {"size": 8.5}, r"need an integer"),
    ("digits", {"size": True}, r"need an integer"),
    ("mnist", {"reduced": [600]}, r"data.options.reduced=\[600\] for mnist: need an integer"),
    ("digits", {"colour": 1}, r"unsupported dataset option data.options.colour for digits; its options: size"),
    ("cifar10", {"reduced": 3}, r"its options: max_items"),
])
def test_wrong_names_and_types_are_refused(name, options, message):
    with pytest.raises(DataError, match=message):
        check_options(name, options)


def test_the_config_refuses_them_before_any_run():
    with pytest.raises(ConfigError, match="data.options.size"):
        build_config(model="vae", dataset="digits", overrides=["data.options.size=big"])
