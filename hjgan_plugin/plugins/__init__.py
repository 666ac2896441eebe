"""Built-in plugins, loaded through the ``hjgan`` entry-point group like any third-party plugin."""
