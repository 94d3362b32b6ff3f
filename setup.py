"""Build of the optional C part of budgetcheck; everything else is in pyproject.toml.

``checker._fastyaml`` builds the YAML tree with positions in C, over libyaml 0.2.5+
(vendored in vendor/libyaml with its MIT licence; no system libyaml needed). It is
optional: where no C compiler is found the build goes on without it and
``checker.loader`` reads YAML with its pure-Python reader, which stays the reference
for every message and location.
"""

from setuptools import Extension, setup

LIBYAML = "vendor/libyaml"

setup(
    ext_modules=[
        Extension(
            "checker._fastyaml",
            sources=["checker/_fastyaml.c"] + [f"{LIBYAML}/src/{name}.c" for name in ("api", "reader", "scanner", "parser")],
            include_dirs=[f"{LIBYAML}/include", f"{LIBYAML}/src"],
            define_macros=[
                ("YAML_DECLARE_STATIC", "1"),
                ("YAML_VERSION_MAJOR", "0"),
                ("YAML_VERSION_MINOR", "2"),
                ("YAML_VERSION_PATCH", "5"),
                ("YAML_VERSION_STRING", '"0.2.5"'),
            ],
            optional=True,
        )
    ]
)
