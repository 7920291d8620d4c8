import Autograd

// f = (x + y) z, the first circuit of the notes, at x = -2, y = 5, z = -4.
let graph = Graph()
let x = Variable("x", -2, in: graph)
let y = Variable("y", 5, in: graph)
let z = Variable("z", -4, in: graph)
let f = (x + y) * z

try f.backward()
print("f = \(f.value)")
print("df/dx = \(x.gradient)")
print("df/dy = \(y.gradient)")
print("df/dz = \(z.gradient)")
