"""The report's glossary: every statistic and term its sections use, in plain words. An entry names the terms its
section uses (``Entry.terms``); the report lists those of the sections it has, in this order.

    >>> GLOSSARY["Holm"].split(":")[0]
    'Holm correction'
"""

from __future__ import annotations


GLOSSARY: dict[str, str] = {
    "cell": "Cell: one sampling variant of a design (e.g. `cov25_s4`: 25 % of the video, every 4th frame; "
    "`d4_k8`: 8 distinct frames 4 frames apart). Cells that give every video the same frames as an earlier cell "
    "are reported but counted once in tests.",
    "densest cell": "Densest cell: the cell that shows the most distinct frames, closest together; a model's "
    "accuracy 'at full information'.",
    "pad": "Padding: a clip with fewer distinct frames than the model takes (its clip length); the sampler ran out "
    "of frames and repeated some. A stride effect measured over padded clips mixes the stride with the lost frames.",
    "video as unit": "Unit: every test treats the video as the independent unit (a source group of videos where "
    "the dataset names one); a video seen by several models or cells counts once.",
    "CI": "95 % CI: the interval that covers the true value in 95 % of repetitions. Bootstrap CIs resample whole "
    "videos (or groups) with replacement, the same ones for every model and cell, so differences keep their "
    "pairing. An interval that excludes 0 (or 1 for an odds ratio) agrees with a test at the 5 % level.",
    "Holm": "Holm correction: each family of tests (listed under *Tests and corrections*) is corrected together: "
    "the smallest p is multiplied by the number of tests, the next by one less, and so on; a claim is made only "
    "where the corrected p is under 0.05.",
    "McNemar": "McNemar test: on the same videos, counts those right in one condition and wrong in the other, and "
    "the reverse; an exact binomial test below 25 such videos, else chi-square with continuity correction.",
    "Cochran's Q": "Cochran's Q: whether any of several conditions (cells) differs in accuracy on the same videos "
    "(McNemar generalised to more than two).",
    "Wilcoxon": "Wilcoxon signed-rank test: whether paired per-video differences are centred on zero.",
    "rm-ANOVA": "Repeated-measures ANOVA: splits each video's correctness over the coverage x stride grid into the "
    "effects of coverage, stride and their interaction, each tested against its variation across videos.",
    "Greenhouse-Geisser": "Greenhouse-Geisser correction: repeated-measures F tests assume every pair of cells "
    "varies alike across videos (sphericity); epsilon (1 = met, lower = violated) shrinks the degrees of freedom "
    "to keep the test honest when it is not. 0/1 outcomes violate it often.",
    "partial eta2": "Partial eta squared: the share of an effect's and its error's variation that the effect "
    "explains (0-1); with many videos even tiny effects are significant, so read this.",
    "predicted limit": "Predicted limit: where a video's own motion frequency f says sampling starts to alias it, "
    "at x = f x spacing / fps = 0.5 turns per step (the spacing fps / (2 f)); f is the benchmark's metadata or "
    "the estimate of `inforates bandwidth` (docs/bandwidth.md).",
    "prefilter": "Prefilter: a temporal low-pass before subsampling; `box` makes each sampled frame the mean of "
    "the frames in its spacing window, `triangle` a weighted mean over twice the window.",
    "resolution": "Resolution: the spatial detail of each frame; a cell at N px has every frame downscaled to N x N "
    "px (antialiased) and resized back to the model's input, so the same checkpoint sees less detail.",
    "motion-guided": "Motion-guided sampling (`motion_uniform`, MGSampler): a clip's frames at equal steps of the "
    "video's cumulative motion (frame differences on a small grey copy) instead of equal steps of time.",
    "GEE": "GEE (generalised estimating equations): a logistic regression whose standard errors allow the clips of "
    "one video (or group) to be correlated; odds ratios say how the odds of a correct prediction change per unit "
    "of a predictor, the others held fixed.",
    "VIF": "VIF (variance inflation factor): how much a predictor's uncertainty grows because other predictors "
    "move with it; above 5 its separate effect is hard to tell from theirs.",
    "folded turn": "Folded turn per step: the rotation between two sampled frames, x = f x spacing / fps "
    "revolutions, folded into -0.5..0.5 (x minus the nearest whole number). Positive: the true direction is "
    "visible; negative: the motion appears reversed (aliasing); the sampling theorem's prediction.",
    "Nyquist": "Nyquist limit: a motion repeating f times a second is seen faithfully only when sampled more than "
    "2f times a second; past the limit (frac(x) > 0.5) a rotation appears to turn backwards.",
    "matched": "Matched contrast: accuracy at the smallest minus the largest stride on the same videos, only where "
    "neither clip pads; the padded contrast uses every clip, as the 2025 study did.",
    "AUC": "Robustness (AUC): the area under accuracy (mean over strides) against coverage, divided by the "
    "coverage range: the accuracy averaged over how much of the video the model sees.",
    "Friedman": "Friedman test: whether several conditions differ when each block (a video, or a class) ranks "
    "them; the Nemenyi test then compares each pair.",
    "Kendall's W": "Kendall's W: how consistently the blocks rank the conditions (0 = no agreement, 1 = all agree).",
    "simultaneous CI": "Simultaneous CI: an interval widened for having picked the highest of N cells (Bonferroni: "
    "each cell's interval at 1 - 0.05/N), so that it still covers with 95 % probability.",
    "class change": "Class change: a class's accuracy at 100 % minus at 25 % coverage (mean over strides); the "
    "tiers (stable < 0.05, moderate < 0.15, large) use its size either way. Observed on the class's videos, not "
    "tested.",
    "paper protocol": "Paper protocol: the 2025 study's statistics on per-class accuracies treated as independent "
    "groups; kept only to reproduce its tables.",
    "Cohen's d": "Cohen's d: a difference of means in units of the pooled standard deviation.",
}
