"""Champions the simulated players pick, by role (real ids and payload names)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ROLES = ("TOP", "JUNGLE", "MIDDLE", "BOTTOM", "UTILITY")

# (championId, championName as match-v5 spells it); twelve per role.
CHAMPIONS_BY_ROLE: dict[str, tuple[tuple[int, str], ...]] = {
    "TOP": (
        (266, "Aatrox"), (122, "Darius"), (86, "Garen"), (114, "Fiora"), (164, "Camille"),
        (54, "Malphite"), (516, "Ornn"), (875, "Sett"), (58, "Renekton"), (24, "Jax"),
        (82, "Mordekaiser"), (17, "Teemo"),
    ),
    "JUNGLE": (
        (64, "LeeSin"), (254, "Vi"), (19, "Warwick"), (32, "Amumu"), (141, "Kayn"),
        (104, "Graves"), (203, "Kindred"), (120, "Hecarim"), (234, "Viego"), (11, "MasterYi"),
        (245, "Ekko"), (60, "Elise"),
    ),
    "MIDDLE": (
        (103, "Ahri"), (157, "Yasuo"), (238, "Zed"), (134, "Syndra"), (61, "Orianna"),
        (112, "Viktor"), (99, "Lux"), (55, "Katarina"), (84, "Akali"), (3, "Galio"),
        (517, "Sylas"), (45, "Veigar"),
    ),
    "BOTTOM": (
        (222, "Jinx"), (51, "Caitlyn"), (81, "Ezreal"), (145, "Kaisa"), (202, "Jhin"),
        (67, "Vayne"), (21, "MissFortune"), (22, "Ashe"), (236, "Lucian"), (360, "Samira"),
        (498, "Xayah"), (119, "Draven"),
    ),
    "UTILITY": (
        (412, "Thresh"), (117, "Lulu"), (111, "Nautilus"), (89, "Leona"), (267, "Nami"),
        (40, "Janna"), (16, "Soraka"), (53, "Blitzcrank"), (555, "Pyke"), (350, "Yuumi"),
        (43, "Karma"), (902, "Milio"),
    ),
}  # fmt: skip

CHAMPIONS_PER_ROLE = 12
# Flat tables: champion slot = role index * 12 + position in the role's list.
CHAMPION_IDS: npt.NDArray[np.int64] = np.array(
    [cid for role in ROLES for cid, _ in CHAMPIONS_BY_ROLE[role]], dtype=np.int64
)
CHAMPION_NAMES: npt.NDArray[np.str_] = np.array(
    [name for role in ROLES for _, name in CHAMPIONS_BY_ROLE[role]]
)
CHAMPION_NAME_BY_ID: dict[int, str] = {
    int(cid): str(name) for cid, name in zip(CHAMPION_IDS, CHAMPION_NAMES, strict=True)
}
