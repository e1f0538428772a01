from sclerotui.cli import main

# Guarded: a spawned process (the import's read-ahead) imports the main module again.
if __name__ == "__main__":
    raise SystemExit(main())
