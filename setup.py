"""Packaging for sfnlocal: an emulator and embeddable engine for AWS Step Functions."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent

setup(
    name="sfnlocal",
    version="0.1.0",
    description="A fast, faithful local emulator and embeddable engine for AWS Step Functions",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["sfnlocal", "sfnlocal.*"]),
    package_data={"sfnlocal": ["py.typed", "api/static/*"]},
    install_requires=[
        "jsonpath-ng>=1.6",
        "networkx>=3.2",
        "PyYAML>=6.0",
        "statelint>=3.1",
        "aiohttp>=3.9",
        # The adapter uses a few of the library's internals: stay on the minor version we tested.
        "jsonata-python>=0.7.1,<0.8",
    ],
    extras_require={
        "test": [
            "pytest>=8.0",
            "pytest-asyncio>=0.23",
            "pytest-timeout>=2.2",
            "hypothesis>=6.100",
            "mypy>=1.10",
            "ruff>=0.5",
            "types-PyYAML>=6.0",
            "boto3>=1.34",
        ],
        "bench": [
            "moto[stepfunctions,server]>=5.2",
            "pyinstrument>=5.0",
        ],
        "dev": [
            "pytest>=8.0",
            "pytest-asyncio>=0.23",
            "pytest-timeout>=2.2",
            "hypothesis>=6.100",
            "mypy>=1.10",
            "ruff>=0.5",
            "types-PyYAML>=6.0",
        ],
    },
    entry_points={"console_scripts": ["sfnlocal=sfnlocal.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.11",
        "Framework :: AsyncIO",
    ],
)
