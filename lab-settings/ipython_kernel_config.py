# The queue lab's IPython kernel configuration. `make install` copies it to
# .venv/etc/ipython/, a folder IPython reads at every kernel start (sys.prefix/etc/ipython);
# conda users copy it to $CONDA_PREFIX/etc/ipython/ (see README).
# labsupport.hints: a NameError in a cell run before the notebook's Setup cells says, in
# one more line under the usual traceback, to run the Setup cells first.
c = get_config()  # noqa: F821 - IPython defines it for configuration files
c.InteractiveShellApp.extensions.append("labsupport.hints")
