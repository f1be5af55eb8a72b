"""Candlesticks as a language: OHLCV sources, validation, candle tokens and the dataset.

Modules, one job each:

- `sources`    load bars by packaged name or file path into one standard frame
- `synthetic`  a seeded GARCH-t market, optionally with a planted pattern
- `validate`   every problem in a bars file in one pass (file, row, reason); `--repair`
- `features`   causal, volatility-normalized candle features
- `tokenizer`  one token per bar; bins fitted on the training split only
- `splits`     walk-forward splits with an embargo, cut at the same dates for every symbol
- `dataset`    the per-bar Parquet table, its targets, window index and content hash
- `baselines`  the bar a model must beat: coin flip, base rate, Markov n-grams over tokens
- `card`       the dataset card (Markdown and JSON)
- `plots`      vocabulary gallery, price chart with tokens, token frequencies
- `io`         atomic directory writes
"""
