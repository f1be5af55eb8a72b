"""Candlesticks as a language: OHLCV sources, validation, candle tokens and the dataset.

Modules, one job each:

- `provenance` where bars came from (the card's source and licence)
- `sources`    load bars by packaged name or file path into one standard frame
- `readers`    stream a CSV/Parquet file in validated batches (bounded memory)
- `synthetic`  a seeded GARCH-t market, optionally with a planted pattern or sessions
- `validate`   every problem in a bars file in one pass (file, row, reason); `--repair`
- `features`   causal, volatility-normalized candle features
- `tokenizer`  one token per bar; bins fitted on the training split only
- `splits`     walk-forward splits with an embargo, cut at the same dates for every symbol
- `layout`     the dataset folder's file names, columns and build settings
- `pipeline`   the streaming build: stage, features, fit, tokens, one symbol at a time
- `ray_engine` the same per-symbol steps as Ray Data tasks (`--engine ray`, optional)
- `canonical`  the content hash of a canonical form: the same on every machine
- `dataset`    the per-bar table (Parquet partitioned by symbol), loading, window index
- `stream`     training windows streamed from the partitions (a PyTorch IterableDataset)
- `summary`    reconstruction error gathered piece by piece
- `baselines`  the bar a model must beat: coin flip, base rate, Markov n-grams over tokens
- `card`       the dataset card (Markdown and JSON)
- `plots`      vocabulary gallery, price chart with tokens, token frequencies
- `io`         atomic directory writes and the checks on `--out`
"""
