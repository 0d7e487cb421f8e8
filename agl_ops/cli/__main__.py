from agl_ops.cli import main

main()
