"""Top layer, the measuring tools: ``convop bench`` and ``convop calibrate``.

They time the engines and the public operators against peers and write the
calibrated cost constants that planning reads.

May import: everything in ``convop`` below the command line.
"""
