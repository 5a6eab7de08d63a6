"""lrtutor: the tested companion package of the learning-rate book.

Modules, in the order the layers depend on one another:

- :mod:`lrtutor.problems`: objectives with known answers and exact gradients;
- :mod:`lrtutor.network`: a small multilayer perceptron on a data set, as a problem;
- :mod:`lrtutor.diagnostics`: sharpness, gradient norms and clipping, update ratios;
- :mod:`lrtutor.schedules`: learning-rate schedules as pure maps ``t -> eta_t``;
- :mod:`lrtutor.optim`: gradient descent and momentum; AdaGrad, RMSprop, Adadelta;
  Adam, AdamW, NAdam, RAdam, Adamax, Yogi; Lion; schedule-free SGD and AdamW;
- :mod:`lrtutor.train`: one training loop returning a trace, and batched sweeps;
- :mod:`lrtutor.checkpoint`: every stateful object as plain data, runs resumed exactly;
- :mod:`lrtutor.theory`: closed forms the chapters derive;
- :mod:`lrtutor.precondition`: preconditioners, Newton's step and line searches;
- :mod:`lrtutor.finder`: the learning-rate range test and rate searches;
- :mod:`lrtutor.data`: the real data sets shipped with the package (diabetes, digits);
- :mod:`lrtutor.plotting`, :mod:`lrtutor.widgets` and
  :mod:`lrtutor.widgets_precondition`: figures and interactive explorers (they
  need matplotlib and ipywidgets; import them explicitly).

Importing the package has no side effects.
"""

from lrtutor import (problems, network, diagnostics, schedules, optim, train,  # noqa: F401
                     checkpoint, theory, precondition, finder, data)

__version__ = "0.1.0"
