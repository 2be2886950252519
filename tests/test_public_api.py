import sfnlocal
import sfnlocal.asl


def test_top_level_all_is_pinned():
    assert sorted(sfnlocal.__all__) == sorted([
        "Diagnostic",
        "Engine",
        "EngineSettings",
        "EvaluationError",
        "InvalidDefinition",
        "RunResult",
        "ServiceError",
        "SfnLocalError",
        "StateMachine",
        "StatesError",
        "SystemClock",
        "VirtualClock",
        "__version__",
        "compile_definition",
        "run",
        "validate",
    ])
    for name in sfnlocal.__all__:
        assert hasattr(sfnlocal, name), name


def test_asl_all_is_pinned():
    assert sorted(sfnlocal.asl.__all__) == sorted([
        "Diagnostic", "StateMachine", "check", "compile_definition", "graph", "load",
        "to_dot", "to_json", "to_mermaid", "validate",
    ])
    for name in sfnlocal.asl.__all__:
        assert hasattr(sfnlocal.asl, name), name
