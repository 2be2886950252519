"""Compiled expressions: JSONPath paths, intrinsic functions, payload templates and JSONata.

Everything here is compiled once (when a state machine is created) and evaluated many times.
"""
