"""The models of everything that crosses a module, process or disk boundary in propmine."""
