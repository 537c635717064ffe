"""Every example and dptrun answer --help with a usage and a whole description (no sentence cut
off at the end of the docstring's first line)."""
import glob
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = sorted(glob.glob(os.path.join(ROOT, "examples", "*.py")))


def _help(cmd):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, *cmd, "--help"], capture_output=True, text=True,
                         timeout=60, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _description(text: str) -> str:
    """The paragraph after the usage block."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    assert paragraphs[0].startswith("usage:"), text
    return " ".join(paragraphs[1].split())


@pytest.mark.timeout(120)
@pytest.mark.parametrize("script", SCRIPTS, ids=os.path.basename)
def test_example_help_is_whole(script):
    desc = _description(_help([script]))
    assert desc.endswith((".", ".)")), desc


@pytest.mark.timeout(120)
def test_dptrun_help_is_whole():
    text = _help(["-m", "launcher.dptrun"])
    assert _description(text).endswith("."), text
    assert text.rstrip().endswith(".")
