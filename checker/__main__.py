import sys

from checker import timing

timing.mark("interpreter and `import checker`")
from checker.cli import main  # noqa: E402

timing.mark("import checker.cli")
sys.exit(main())
