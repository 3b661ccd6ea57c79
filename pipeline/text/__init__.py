"""The text layer: sentences, number mentions and quote alignment, with character offsets.

Nothing here imports from `pipeline.extract` or any layer above it; strategies and checks read
what this layer finds.
"""
