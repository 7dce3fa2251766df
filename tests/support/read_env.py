"""Prints the .env file given as argv[1] as JSON, read the way the backend reads it.

pydantic-settings calls `dotenv_values(path)` with its defaults (interpolation on), so this
does the same.
"""

import json
import sys

from dotenv import dotenv_values

json.dump(dotenv_values(sys.argv[1]), sys.stdout)
