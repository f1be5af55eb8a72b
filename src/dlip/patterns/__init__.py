"""Similar-situation search and next-move probabilities (milestone 005).

The model (one job per module):

- `targets`    the shared targets (next_up, next_return, next_log_range, range_class),
               the walk-forward rule and the prediction-frame contract
- `windows`    what a window shows the encoder: candle tokens plus causal HAR-style context
- `encoder`    the window encoder on dlip.gpt's Transformer blocks: LM head, embedding, heads
- `train`      pretraining (next token), fine-tuning (neighbourhood loss + heads), probes
- `index`      exact (numpy) and faiss nearest-neighbour search with a walk-forward prefix
- `analogs`    the database of past windows sorted by outcome time; analog probabilities
- `calibrate`  the blend of heads and analogs, fitted on validation
- `model`      PatternModel: fit, save/load, embed, neighbours, predict; verdict file
- `plots`      the query window beside its analogs
- `commands`   `dlip patterns fit | search | predict`

The evaluation: `baselines`, `scoring`, `planted`, `report`.
"""
