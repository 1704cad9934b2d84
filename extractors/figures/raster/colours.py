"""The plot area's ink split by colour, each colour with its anti-aliased blend into the background."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from extractors.figures.raster.morph import dilate, open_
from extractors.figures.raster.shapes import SeriesStyle


@dataclass
class _Colour:
    rgb: np.ndarray
    mask: np.ndarray  # pixels of the plot area drawn in this colour
    label: str | None = None
    entries: list[tuple[SeriesStyle, float, str]] = field(default_factory=list)  # legend: kind, solidity, text


def _colours(rgb: np.ndarray, ink: np.ndarray, bg: np.ndarray, by_cores: bool = True) -> list[_Colour]:
    """The plot area's ink split by colour: the most common colours, each with its anti-aliased blend into the background."""
    pix = rgb[ink]
    if len(pix) == 0:
        return []
    min_pixels = max(25, int(0.0004 * ink.size))
    where = np.argwhere(ink)
    grey_blends = True
    cores: np.ndarray | None = None  # in an all-grey plot: the pixels no lighter than their neighbours
    if by_cores and (np.ptp(pix, axis=1) < 40).mean() > 0.97:
        # all grey: every grey is black's blend into white, so a light grey series passes for black's anti-aliased
        # edge. The shades are taken from the strokes' cores only (pixels no lighter than their neighbours, which
        # an edge never is), each shade by itself.
        gray = rgb.mean(axis=2)
        core = ink & (gray <= ndimage.minimum_filter(np.where(ink, gray, 255.0), size=3) + 6)
        if core.sum() >= min_pixels:
            min_pixels = max(10, int(min_pixels * core.sum() / len(pix)))
            pix, where, grey_blends, cores = rgb[core], np.argwhere(core), False, core
    q = (pix // 16).astype(np.int32)
    codes = q[:, 0] * 256 + q[:, 1] * 16 + q[:, 2]
    remaining = np.ones(len(pix), bool)
    modes: list[np.ndarray] = []
    claimed: list[np.ndarray] = []  # the pixels each mode explained when it was found

    def explains(colour: np.ndarray) -> np.ndarray:
        near = np.sqrt(((pix - colour) ** 2).sum(axis=1)) < (40 if grey_blends else 30)
        return near | _blend_of(pix, colour, bg) if grey_blends else near

    for _ in range(10):
        if remaining.sum() < min_pixels:
            break
        counts = np.bincount(codes[remaining], minlength=4096)
        top = int(counts.argmax())
        mode = pix[remaining & (codes == top)].mean(axis=0)
        explained = explains(mode)
        if counts[top] < min_pixels * 0.5 or (explained & remaining).sum() < min_pixels:
            # a thin stroke spreads over many shades, none of them common: the shade that explains most
            # of what is left, then its strongest pixels for the colour itself
            best = 0
            for cand_code in np.argsort(counts)[::-1][:8]:
                cand = pix[remaining & (codes == cand_code)].mean(axis=0) if counts[cand_code] else bg
                exp = explains(cand)
                if int((exp & remaining).sum()) > best:
                    best, mode, explained = int((exp & remaining).sum()), cand, exp
            if best < min_pixels:
                break
            strength = np.sqrt(((pix[explained & remaining] - bg) ** 2).sum(axis=1))
            mode = pix[explained & remaining][strength >= np.quantile(strength, 0.9)].mean(axis=0)
            explained = explained | explains(mode)
        newly = explained & remaining
        remaining &= ~explained
        if float(np.sqrt(((mode - bg) ** 2).sum())) < 90:  # a pale tint: a fill or a legend box, not a stroke
            continue
        found = np.zeros(ink.shape, bool)
        found[where[:, 0], where[:, 1]] = newly
        fringe_of = [k for k, m in enumerate(modes) if _blend_of(mode[None, :], m, bg, lowest=0.1)[0]]
        if fringe_of and not _apart(found, [claimed[k] for k in fringe_of]):  # the fringe of a stronger colour
            continue
        modes.append(mode)
        claimed.append(found)
    if not modes:
        return []
    if cores is not None and len(modes) < 2:  # one shade (black): nothing to tell apart, read as ever
        return _colours(rgb, ink, bg, by_cores=False)
    masks = _colour_masks(rgb, ink, modes, bg) if cores is None else _grey_masks(rgb, ink, cores, modes)
    out = [_Colour(mode, mask) for mode, mask in zip(modes, masks, strict=True)]
    # a colour found only along the edges of others is their mix where two strokes overlap, or the halo
    # of one (JPEG), not a series
    near = [dilate(c.mask & cores if cores is not None else c.mask, 3) for c in out]
    # for the mix, without a colour's one-pixel fringe: the grey edge of black markers is not a grey line
    core = [dilate(open_(c.mask, np.ones((2, 2), bool)), 3) for c in out]
    keep = []
    for k, c in enumerate(out):
        n_pix = int(c.mask.sum())
        if n_pix == 0:
            continue
        # in an all-grey plot a grey takes the anti-aliased edges of black strokes too: judged by its cores
        own = c.mask & cores if cores is not None and (c.mask & cores).sum() >= 10 else c.mask
        bigger = [j for j in range(len(out)) if j != k and out[j].mask.sum() > n_pix]
        others = np.zeros(ink.shape, bool)
        for j in bigger:
            others |= core[j]
        if others[own].mean() >= 0.85:
            continue
        if any(
            _blend_of(c.rgb[None, :], out[j].rgb, bg, 0.1, 35, highest=0.85)[0] and near[j][own].mean() >= 0.5
            for j in range(len(out))
            if j != k
        ):  # a paler shade along another colour: its fringe
            continue
        keep.append(c)
    # a paler shade of a kept colour (grey beside black) also takes that colour's anti-aliased edge: a thin
    # double of its strokes that would be read as a second series; the edge belongs to the stronger colour
    for c in keep:
        for o in keep:
            if o is not c and _blend_of(c.rgb[None, :], o.rgb, bg, 0.1, 35, highest=0.85)[0]:
                c.mask &= ~dilate(o.mask, 1)
    return keep


def _apart(found: np.ndarray, stronger: list[np.ndarray]) -> bool:
    """Whether a pale shade's pixels lie mostly away from the stronger colours it could be a blend of: a grey
    series beside black ones (grayscale style), not their anti-aliased edge."""
    if not found.any():
        return False
    near = np.zeros(found.shape, bool)
    for m in stronger:
        near |= m
    near = dilate(near, 2)
    return float(near[found].mean()) < 0.3


def _grey_masks(rgb: np.ndarray, ink: np.ndarray, cores: np.ndarray, modes: list[np.ndarray]) -> list[np.ndarray]:
    """In an all-grey plot, every ink pixel to the shade of the stroke core nearest it: an anti-aliased edge
    belongs to the stroke it borders (by shade alone a light grey line's edge would pass for mid grey's)."""
    gray = rgb.mean(axis=2)
    levels = np.array([float(m.mean()) for m in modes])
    diff = np.abs(gray[cores][:, None] - levels[None, :])
    shade = np.full(ink.shape, -1, dtype=int)
    shade[cores] = np.where(diff.min(axis=1) < 26, diff.argmin(axis=1), -1)
    dist, (iy, ix) = ndimage.distance_transform_edt(shade < 0, return_indices=True)
    nearest = shade[iy, ix]
    ok = ink & (dist <= 2.5)
    return [ok & (nearest == k) for k in range(len(modes))]


def _colour_masks(rgb: np.ndarray, ink: np.ndarray, modes: list[np.ndarray], bg: np.ndarray) -> list[np.ndarray]:
    """Every ink pixel to its nearest colour (a blend with the background counts by how far off the blend line it lies)."""
    pix = rgb[ink]
    costs = []
    for mode in modes:
        d_direct = np.sqrt(((pix - mode) ** 2).sum(axis=1))
        d_blend = np.where(_blend_of(pix, mode, bg), 20.0, np.inf)
        costs.append(np.minimum(d_direct, d_blend))
    costs_a = np.stack(costs) if costs else np.zeros((0, len(pix)))
    best = costs_a.argmin(axis=0) if len(pix) else np.zeros(0, int)
    ok = costs_a.min(axis=0) < 45 if len(pix) else np.zeros(0, bool)
    idx = np.argwhere(ink)
    masks = []
    for k in range(len(modes)):
        sel = ok & (best == k)
        mask = np.zeros(ink.shape, bool)
        mask[idx[sel, 0], idx[sel, 1]] = True
        masks.append(mask)
    return masks


def _blend_of(
    pix: np.ndarray,
    colour: np.ndarray,
    bg: np.ndarray,
    lowest: float = 0.45,
    tolerance: float = 22,
    highest: float = 1.15,
) -> np.ndarray:
    """Pixels that are `colour` blended with the background, at least `lowest` of it (anti-aliased edges)."""
    e = colour - bg
    ee = float((e * e).sum())
    if ee < 1:
        return np.zeros(len(pix), bool)
    d = pix - bg
    alpha = (d @ e) / ee
    resid = np.sqrt(((d - alpha[:, None] * e[None, :]) ** 2).sum(axis=1))
    return (alpha >= lowest) & (alpha <= highest) & (resid < tolerance)
