# Figure renderers (PLplot) arrive with the study issues.
