"""Similar-situation search and next-move probabilities (milestone 005).

- `targets`    the shared targets (next_up, next_return, next_log_range, range_class),
               the walk-forward rule and the prediction-frame contract
"""
