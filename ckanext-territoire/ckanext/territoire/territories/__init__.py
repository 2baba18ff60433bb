"""COG reference data: the French official territories (INSEE, via Etalab).

``build_cog`` makes the shipped data file, ``loader`` puts it in the
database, ``lookup`` answers from an in-process copy, ``actions`` exposes it.
"""
