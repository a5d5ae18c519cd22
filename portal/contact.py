"""How people can be reached: the rules shared by every form that asks for a phone number."""
from __future__ import annotations

import re

#: Digits with the separators people type (spaces, dots, slashes, dashes, brackets) and an
#: optional leading +: "0470 12 34 56", "+32 2 123 45 67", "02/123.45.67".
PHONE_PATTERN = re.compile(r"^\+?[0-9 ./()-]{6,25}$")
