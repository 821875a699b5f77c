"""Response bodies → Python values, as `json.loads` gives them, faster.

orjson decodes a page several times faster than the standard library (bench/compare.py);
what it refuses and `json` accepts (integers beyond 64 bits, NaN, Infinity) is decoded by
`json`, so every body parses exactly as before and a broken one still raises ValueError.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(content: bytes) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)
