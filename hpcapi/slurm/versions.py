"""The slurmrestd API versions hpcapi speaks, and which one to use with a given server.

The API versions and the Slurm release that introduced each (the saved specs were dumped from the
release in brackets; ``info.version`` / ``info.x-slurm.release``): v0.0.38 Slurm 22.05 (also
served by 23.02; the spec says only 0.0.38), v0.0.40 23.11 [24.05.4], v0.0.41 24.05 [24.05.8],
v0.0.42 24.11 [24.11.6], v0.0.43 25.05 [25.05.8], v0.0.44 25.11 [25.11.7]. v0.0.39 (23.02
only) is skipped: 23.02 also serves v0.0.38. Tested for real: v0.0.38 on 22.05, and v0.0.41 to
v0.0.44 on 25.11.7 (the dev stack's two clusters).
"""

from __future__ import annotations

import re
from typing import Any

from hpcapi.core.translate import SBATCH_22_05, SBATCH_25_11, SbatchRules
from hpcapi.slurm.errors import SlurmrestVersionError

# API version -> the Slurm release that introduced it. Oldest first.
SLURM_RELEASES: dict[str, str] = {
    "v0.0.38": "22.05",
    "v0.0.40": "23.11",
    "v0.0.41": "24.05",
    "v0.0.42": "24.11",
    "v0.0.43": "25.05",
    "v0.0.44": "25.11",
}
SUPPORTED_API_VERSIONS: tuple[str, ...] = tuple(SLURM_RELEASES)
_VERSION_IN_PATH_RE = re.compile(r"^/slurm/(v\d+\.\d+\.\d+)/")


def check_api_version(api_version: str) -> None:
    """Raise ValueError unless hpcapi speaks ``api_version``."""
    if api_version not in SLURM_RELEASES:
        raise ValueError(
            f"unsupported slurmrestd API version {api_version!r};"
            f" supported: {', '.join(SUPPORTED_API_VERSIONS)}"
        )


def sbatch_rules(api_version: str) -> SbatchRules:
    """What the sbatch of a cluster serving ``api_version`` adds to a job.

    Measured against the real sbatch on 22.05.8 (v0.0.38) and 25.11.7 (v0.0.41 to v0.0.44, the
    differential test); 23.02 serves v0.0.38 too, and 23.11 to 25.05 are given 25.11's rules,
    untested.
    """
    check_api_version(api_version)
    return SBATCH_22_05 if api_version == "v0.0.38" else SBATCH_25_11


def version_key(version: str) -> tuple[int, ...]:
    """A version as numbers, for ordering: "v0.0.44" is (0, 0, 44)."""
    return tuple(int(part) for part in version.lstrip("v").split("."))


def versions_in_spec(spec: dict[str, Any]) -> set[str]:
    """The ``/slurm/vX.Y.Z/`` API versions an OpenAPI document served by slurmrestd offers."""
    found = set()
    for path in spec.get("paths", {}):
        match = _VERSION_IN_PATH_RE.match(path)
        if match:
            found.add(match.group(1))
    return found


def choose_version(configured: str, offered: set[str]) -> str:
    """Pick the API version to use from what the server offers, or raise SlurmrestVersionError."""
    offered_text = ", ".join(sorted(offered, key=version_key)) or "none"
    if configured == "auto":
        usable = [version for version in SUPPORTED_API_VERSIONS if version in offered]
        if not usable:
            raise SlurmrestVersionError(
                f"slurmrestd offers API versions {offered_text}; hpcapi supports "
                f"{', '.join(SUPPORTED_API_VERSIONS)}: none in common"
            )
        return max(usable, key=version_key)
    if configured not in SUPPORTED_API_VERSIONS:
        raise SlurmrestVersionError(
            f"api_version = {configured} is not supported by hpcapi "
            f"(supported: {', '.join(SUPPORTED_API_VERSIONS)})"
        )
    if configured not in offered:
        raise SlurmrestVersionError(
            f"api_version = {configured} is not offered by slurmrestd, which offers {offered_text}"
        )
    return configured
