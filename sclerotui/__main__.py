from sclerotui.cli import main

raise SystemExit(main())
