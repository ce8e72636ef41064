from remotemedia import Pipeline
from remotemedia.nodes import CalculatorNode, PassThroughNode

p = Pipeline([PassThroughNode(name="pass"), CalculatorNode(name="calc", operation="multiply", operand=2)],
             name="calc-pipeline")
print(p.serialize())   # manifest v1, ids pass_0 / calc_1
