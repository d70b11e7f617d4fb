"""Faust agents, one subpackage per use case.

Nothing imports this package except the Faust app's autodiscovery and the replay tool: each
use case's logic lives in plain modules (``features``, ``model``, ``logic``) that tests and the
audit replay call directly, and ``agent.py`` only wires that logic to a Kafka topic.
"""
